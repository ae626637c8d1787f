package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// libraryPath is the module path of the library the command is built on.
const libraryPath = "github.com/mipush-go/mipush"

// versionCmd prints the command's module version, the library's and the
// Go version, from the build information. "mipush --version" is the same.
func versionCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("version", "", "Print the version of the command's module, of the library and of Go\nthat built it (from the build information; \"(devel)\" for a build from a\nsource tree). \"mipush --version\" is the same.", stderr)
	if code, ok := fs.parse(args, stdout, 0); !ok {
		return code
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintf(stdout, "mipush (no build information) %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return exitOK
	}
	printVersion(stdout, bi)
	return exitOK
}

// printVersion writes the versions that bi records.
func printVersion(w io.Writer, bi *debug.BuildInfo) {
	fmt.Fprintf(w, "mipush   %s %s\n", bi.Main.Path, bi.Main.Version)
	for _, d := range bi.Deps {
		if d.Path != libraryPath {
			continue
		}
		if d.Replace != nil {
			d = d.Replace
		}
		fmt.Fprintf(w, "library  %s %s\n", libraryPath, firstOf(d.Version, "(devel)"))
	}
	fmt.Fprintf(w, "go       %s %s/%s\n", bi.GoVersion, runtime.GOOS, runtime.GOARCH)
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
			fmt.Fprintf(w, "%-8s %s\n", s.Key, s.Value)
		}
	}
}
