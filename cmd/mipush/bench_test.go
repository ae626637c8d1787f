package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBench(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := benchCmd(t.Context(), []string{"-n", "200", "-runs", "1"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	out := stdout.String()
	if !strings.Contains(out, "separate process") {
		t.Errorf("the table does not say the server ran in a separate process:\n%s", out)
	}
	for _, r := range allRows {
		line := tableLine(out, r.label)
		if line == "" {
			t.Errorf("no line for %q in:\n%s", r.label, out)
			continue
		}
		// A row measured once, with no failure, ends "0  1".
		if f := strings.Fields(line); len(f) < 2 || f[len(f)-2] != "0" || f[len(f)-1] != "1" {
			t.Errorf("row %q: want 0 failed and 1 run, got %q", r.name, line)
		}
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", &stderr)
	}
}

func TestBenchInProcessRows(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := benchCmd(t.Context(), []string{"-n", "100", "-runs", "2", "-inprocess", "-rows", "async-h2-1,raw-h1", "-onsuccess=false"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	out := stdout.String()
	for _, want := range []string{"library async, h2, 1 conn", "raw limit, h1, 1 conn", "medians of 2 runs", "in this process"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "library async, h1") {
		t.Errorf("output has a row that was not asked for:\n%s", out)
	}
}

func TestBenchMemory(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := benchCmd(t.Context(), []string{"-mem", "-n", "300", "-proto", "h2"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	if out := stdout.String(); !strings.Contains(out, "300 sends in") || !strings.Contains(out, "VmHWM") {
		t.Errorf("unexpected output:\n%s", out)
	}
}

func TestBenchFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-rows", "nope"},
		{"-n", "0"},
		{"-mem", "-proto", "h3"},
	} {
		var stdout, stderr bytes.Buffer
		if code := benchCmd(t.Context(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit code %d, want 2", args, code)
		}
	}
}

// tableLine returns the line of out that starts with label, or "".
func tableLine(out, label string) string {
	for line := range strings.Lines(out) {
		if strings.HasPrefix(strings.TrimSpace(line), label+" ") {
			return line
		}
	}
	return ""
}
