// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a goroutine-safe bytes.Buffer for capturing output of a
// command that is still running.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func runEddy(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncBuffer
	code = run(context.Background(), args, &env{stdout: &out, stderr: &errOut})
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		code     int
		toStdout bool
	}{
		{nil, 2, false},
		{[]string{"help"}, 0, true},
		{[]string{"-h"}, 0, true},
		{[]string{"--help"}, 0, true},
	} {
		code, stdout, stderr := runEddy(t, tc.args...)
		out := stderr
		if tc.toStdout {
			out = stdout
		}
		if code != tc.code {
			t.Errorf("eddy %v: exit %d, want %d", tc.args, code, tc.code)
		}
		for _, c := range commands() {
			if !strings.Contains(out, c.name+" ") || !strings.Contains(out, c.summary) {
				t.Errorf("eddy %v: usage does not list %q:\n%s", tc.args, c.name, out)
			}
		}
	}
}

func TestHelpCommand(t *testing.T) {
	code, stdout, _ := runEddy(t, "help", "broker")
	if code != 0 || !strings.Contains(stdout, "Usage: eddy broker") || !strings.Contains(stdout, "-data-dir") {
		t.Errorf("eddy help broker: exit %d, output:\n%s", code, stdout)
	}
	code, stdout, _ = runEddy(t, "broker", "-h")
	if code != 0 || !strings.Contains(stdout, "Usage: eddy broker") {
		t.Errorf("eddy broker -h: exit %d, output:\n%s", code, stdout)
	}
	if code, _, stderr := runEddy(t, "help", "nope"); code != 2 || !strings.Contains(stderr, `unknown command "nope"`) {
		t.Errorf("eddy help nope: exit %d, stderr:\n%s", code, stderr)
	}
}

func TestUnknownCommand(t *testing.T) {
	code, _, stderr := runEddy(t, "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) || !strings.Contains(stderr, "eddy help") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestCommandsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands() {
		if seen[c.name] {
			t.Errorf("command %q registered twice", c.name)
		}
		seen[c.name] = true
		if c.summary == "" || c.description == "" || c.run == nil {
			t.Errorf("command %q lacks a summary, description or run function", c.name)
		}
	}
}
