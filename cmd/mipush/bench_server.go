package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"time"

	"github.com/mipush-go/mipush/mipushtest"
)

// serveArg is the hidden first argument of "mipush bench" that makes the
// process serve the fake servers for a bench running in another process.
const serveArg = "__serve"

// serverInfo is the one JSON line a server process writes to its stdout
// once it serves: where its two fake servers listen and the CA of each.
type serverInfo struct {
	H1   string `json:"h1"` // HTTP/1.1-only server
	H1CA []byte `json:"h1_ca"`
	H2   string `json:"h2"` // server that prefers h2
	H2CA []byte `json:"h2_ca"`
	PID  int    `json:"pid"`
}

// benchEndpoint is one fake server as a client sees it.
type benchEndpoint struct {
	host string
	tls  *tls.Config // trusts the server's CA only; ServerName "localhost"
	// cpu reports the CPU time of the process serving it; nil when that is
	// this process.
	cpu func() time.Duration
}

// benchServers is the pair of fake servers a bench runs against, in this
// process or in a child process.
type benchServers struct {
	h1, h2 benchEndpoint
	pid    int // the serving process
	close  func() error
}

// serverCommand returns the command that runs the fake servers in a child
// process with the given "bench __serve" flags: this executable again (the
// tests' TestMain lets the test binary stand in for it).
func serverCommand(args []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.Command(exe, append([]string{"bench", serveArg}, args...)...), nil
}

// startServers starts the fake servers: in this process when inProcess is
// set, otherwise in a child process, so that this process's CPU time and
// allocations are the client's alone.
func startServers(inProcess bool, rtt time.Duration, profile string) (*benchServers, error) {
	if inProcess {
		h1, h2 := newBenchServers(rtt)
		return &benchServers{
			h1:  benchEndpoint{host: h1.Host(), tls: h1.ClientTLSConfig()},
			h2:  benchEndpoint{host: h2.Host(), tls: h2.ClientTLSConfig()},
			pid: os.Getpid(),
			close: func() error {
				h1.Close()
				h2.Close()
				return nil
			},
		}, nil
	}
	args := []string{"-rtt", rtt.String()}
	if profile != "" {
		args = append(args, "-cpuprofile", profile)
	}
	cmd, err := serverCommand(args)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the server process: %w", err)
	}
	stop := func() error {
		stdin.Close() // the child serves until its stdin ends
		return cmd.Wait()
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	var info serverInfo
	if err == nil {
		err = json.Unmarshal(line, &info)
	}
	if err != nil {
		cmd.Process.Kill()
		stop()
		return nil, fmt.Errorf("reading from the server process: %w", err)
	}
	go io.Copy(io.Discard, stdout) // whatever else it prints
	h1, err1 := clientTLS(info.H1CA)
	h2, err2 := clientTLS(info.H2CA)
	if err := errors.Join(err1, err2); err != nil {
		stop()
		return nil, err
	}
	cpu := pidCPU(info.PID)
	return &benchServers{
		h1:    benchEndpoint{host: info.H1, tls: h1, cpu: cpu},
		h2:    benchEndpoint{host: info.H2, tls: h2, cpu: cpu},
		pid:   info.PID,
		close: stop,
	}, nil
}

// clientTLS returns a client configuration that trusts only the CA in pem.
func clientTLS(pem []byte) (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("the server process sent no usable CA certificate")
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}, nil
}

// newBenchServers starts an HTTP/1.1-only and an h2 fake server, recording
// off, each behind a latency proxy when rtt is positive.
func newBenchServers(rtt time.Duration) (h1, h2 *mipushtest.Server) {
	h1 = mipushtest.NewServer(mipushtest.Options{NoRecording: true, RTT: rtt})
	h2 = mipushtest.NewServer(mipushtest.Options{HTTP2: true, NoRecording: true, RTT: rtt})
	return h1, h2
}

// serveCmd is the server process: it starts the fake servers, reports them
// on stdout as one JSON line, and serves until stdin ends.
func serveCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mipush bench "+serveArg, flag.ContinueOnError)
	fs.SetOutput(stderr)
	rtt := fs.Duration("rtt", 0, "round-trip time added by a latency proxy")
	profile := fs.String("cpuprofile", "", "write the server process's CPU profile to `file`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(stderr, "mipush bench server:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "mipush bench server:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	h1, h2 := newBenchServers(*rtt)
	defer h1.Close()
	defer h2.Close()
	line, err := json.Marshal(serverInfo{
		H1: h1.Host(), H1CA: h1.CACertPEM(),
		H2: h2.Host(), H2CA: h2.CACertPEM(),
		PID: os.Getpid(),
	})
	if err != nil {
		fmt.Fprintln(stderr, "mipush bench server:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", line)
	ended := make(chan struct{})
	go func() {
		io.Copy(io.Discard, stdin)
		close(ended)
	}()
	select {
	case <-ended:
	case <-ctx.Done():
	}
	return 0
}
