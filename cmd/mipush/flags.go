package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"strings"
)

// flagSet is the flag set of a subcommand, with its usage message.
type flagSet struct {
	*flag.FlagSet
	name, synopsis, about string
	stderr                io.Writer
	args                  []string // the arguments that are not flags, in order
}

// newFlags returns the flag set of a subcommand. A parse error goes to
// stderr as one line; --help prints synopsis, about and the flags to
// stdout.
func newFlags(name, synopsis, about string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet("mipush "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors itself
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, name: name, synopsis: synopsis, about: about, stderr: stderr}
}

// anyArgs is parse's maxArgs for a command that checks its arguments
// itself.
const anyArgs = -1

// parse parses args, which may hold at most maxArgs arguments that are not
// flags (anyArgs: any number). It returns ok, or the exit code to return at
// once: exitOK after --help, exitUsage after an error (already reported).
func (fs *flagSet) parse(args []string, stdout io.Writer, maxArgs int) (code int, ok bool) {
	err := fs.parseInterspersed(args)
	switch {
	case err == nil:
		if maxArgs != anyArgs && fs.NArg() > maxArgs {
			return fail(fs.stderr, fs.name, usagef("unexpected argument %q", fs.Arg(maxArgs))), false
		}
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		fs.printUsage(stdout)
		return exitOK, false
	}
	fmt.Fprintf(fs.stderr, "mipush %s: %v (see \"mipush %s --help\")\n", fs.name, err, fs.name)
	return exitUsage, false
}

// parseInterspersed parses args, in which flags may follow the other
// arguments ("mipush bulk ids.txt --json"); after "--" everything is an
// argument.
func (fs *flagSet) parseInterspersed(args []string) error {
	fs.args = nil
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.FlagSet.Args()
		if len(rest) == 0 {
			return nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			fs.args = append(fs.args, rest...)
			return nil
		}
		fs.args = append(fs.args, rest[0])
		args = rest[1:]
	}
}

// NArg and Arg are those of the arguments that are not flags, wherever
// they came (see parseInterspersed).
func (fs *flagSet) NArg() int { return len(fs.args) }

// Arg returns the i-th argument that is not a flag, or "".
func (fs *flagSet) Arg(i int) string {
	if i < 0 || i >= len(fs.args) {
		return ""
	}
	return fs.args[i]
}

// printUsage prints the usage message to w.
func (fs *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: mipush %s %s\n\n%s\n", fs.name, fs.synopsis, strings.TrimSpace(fs.about))
	if hasFlags(fs.FlagSet) {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// isSet reports whether the flag name was given on the command line.
func (fs *flagSet) isSet(name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// hasFlags reports whether fs defines any flag.
func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// listFlag is a repeatable flag of comma-separated values:
// --regid a,b --regid c gives [a b c].
type listFlag []string

// String and Set implement flag.Value.
func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// pairFlag is a repeatable key=value flag, kept in order.
type pairFlag []pair

type pair struct{ key, value string }

// String and Set implement flag.Value.
func (p *pairFlag) String() string {
	s := make([]string, len(*p))
	for i, kv := range *p {
		s[i] = kv.key + "=" + kv.value
	}
	return strings.Join(s, " ")
}

func (p *pairFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return errors.New(`want key=value`)
	}
	*p = append(*p, pair{k, v})
	return nil
}

// all yields the pairs in order, so that a later key wins.
func (p pairFlag) all() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, kv := range p {
			if !yield(kv.key, kv.value) {
				return
			}
		}
	}
}

// usageError is bad input found before anything was sent: the command
// prints it and exits with exitUsage. It is one line unless multiLine.
type usageError struct {
	msg       string
	multiLine bool // a list, printed as it is
}

func (e *usageError) Error() string { return e.msg }

// usagef returns a *usageError.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// fail prints err, in plain English (see describe), prefixed with the
// command's name and returns the exit code that fits it: exitUsage for
// bad input, exitFailed otherwise.
func fail(stderr io.Writer, name string, err error) int {
	var u *usageError
	if errors.As(err, &u) && u.multiLine {
		fmt.Fprintf(stderr, "mipush %s: %s\n", name, u.msg)
		return exitUsage
	}
	fmt.Fprintf(stderr, "mipush %s: %s\n", name, oneLine(describe(err)))
	if u != nil {
		return exitUsage
	}
	return exitFailed
}

// oneLine folds a multi-line message (errors.Join) onto one line, without
// the library's "mipush: " prefix, which the command's own prefix makes
// redundant.
func oneLine(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "mipush: ")
	return strings.ReplaceAll(s, "\n", "; ")
}
