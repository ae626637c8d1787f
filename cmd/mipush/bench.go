package main

import (
	"context"
	"fmt"
	"io"
)

// benchCmd runs the side-by-side throughput benchmark (issue 5).
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "mipush bench: not built yet")
	return 1
}
