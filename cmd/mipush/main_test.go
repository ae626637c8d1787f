package main

import (
	"context"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// envTestAsCommand makes the test binary run as the command itself.
const envTestAsCommand = "MIPUSH_TEST_AS_COMMAND"

// TestMain checks that no test leaves a goroutine behind. It also lets
// this test binary stand in for the command when the bench starts its
// server process, which runs this executable as "mipush bench __serve".
func TestMain(m *testing.M) {
	if os.Getenv(envTestAsCommand) == "1" {
		main() // a test runs this binary as the command (see commandProcess)
	}
	if len(os.Args) > 2 && os.Args[1] == "bench" && os.Args[2] == serveArg {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}
