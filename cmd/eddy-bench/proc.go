// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of utime/stime in /proc/<pid>/stat
// (100 on every mainstream architecture).
const clockTicks = 100

// child is a system under test running as its own OS process.
type child struct {
	cmd     *exec.Cmd
	started time.Time
	running chan time.Time // receives the RUNNING time the child printed
	exited  chan struct{}

	mu    sync.Mutex
	lines []string // stdout
}

// startChild starts name args with extra environment variables env
// (KEY=VALUE); its stdout is kept and scanned for "STATE RUNNING
// <epoch-ms>", its stderr goes to logFile.
func startChild(name string, args, env []string, logFile string) (*child, error) {
	cmd := exec.Command(name, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	errf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = errf
	out, err := cmd.StdoutPipe()
	if err != nil {
		errf.Close()
		return nil, err
	}
	c := &child{cmd: cmd, running: make(chan time.Time, 1), exited: make(chan struct{})}
	c.started = time.Now()
	if err := cmd.Start(); err != nil {
		errf.Close()
		return nil, err
	}
	go func() {
		sent := false
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.mu.Lock()
			c.lines = append(c.lines, sc.Text())
			c.mu.Unlock()
			if ms, ok := parseStateLine(sc.Text(), "RUNNING"); ok && !sent {
				c.running <- time.UnixMilli(ms)
				sent = true
			}
		}
		io.Copy(io.Discard, out)
		cmd.Wait()
		errf.Close()
		close(c.exited)
	}()
	return c, nil
}

// output returns the stdout lines printed so far.
func (c *child) output() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

// allocs asks a Go child that printed "STATS READY" for its cumulative heap
// allocations (SIGUSR1, answered with "STATS ALLOCS <objects> <bytes>", see
// reportAllocsOnSignal) and waits up to 2 s for the answer. ok is false for
// a child that does not answer (Java, an -eddy-bin built without it).
func (c *child) allocs() (objects, bytes uint64, ok bool) {
	answers := func() (n int, last []string) {
		for _, l := range c.output() {
			if f := strings.Fields(l); len(f) == 4 && f[0] == "STATS" && f[1] == "ALLOCS" {
				n, last = n+1, f
			}
		}
		return n, last
	}
	if !slices.Contains(c.output(), "STATS READY") {
		return 0, 0, false
	}
	before, _ := answers()
	if c.cmd.Process.Signal(syscall.SIGUSR1) != nil {
		return 0, 0, false
	}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if n, f := answers(); n > before {
			o, err1 := strconv.ParseUint(f[2], 10, 64)
			b, err2 := strconv.ParseUint(f[3], 10, 64)
			return o, b, err1 == nil && err2 == nil
		}
	}
	return 0, 0, false
}

// parseStateLine parses "STATE <state> <epoch-ms>".
func parseStateLine(line, state string) (int64, bool) {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "STATE" || f[1] != state {
		return 0, false
	}
	ms, err := strconv.ParseInt(f[2], 10, 64)
	return ms, err == nil
}

// stop sends SIGTERM and waits up to timeout, then kills.
func (c *child) stop(timeout time.Duration) {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(timeout):
		c.cmd.Process.Kill()
		<-c.exited
	}
}

// cpuSeconds reads utime+stime of pid from /proc.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	u, s, err := parseStat(string(b))
	if err != nil {
		return 0, err
	}
	return float64(u+s) / clockTicks, nil
}

// parseStat returns utime and stime (fields 14 and 15) of a /proc/<pid>/stat
// line; the command name (field 2) may contain spaces and parentheses.
func parseStat(s string) (utime, stime uint64, err error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("stat: no ')'")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime is field 14 → f[11].
	if len(f) < 13 {
		return 0, 0, errors.New("stat: too few fields")
	}
	if utime, err = strconv.ParseUint(f[11], 10, 64); err != nil {
		return 0, 0, err
	}
	stime, err = strconv.ParseUint(f[12], 10, 64)
	return utime, stime, err
}

// peakRSS reads VmHWM of pid in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(string(b), "VmHWM")
}

// parseStatusKB returns the value of a "Key:   N kB" line of
// /proc/<pid>/status (or /proc/meminfo) in bytes.
func parseStatusKB(s, key string) (int64, error) {
	for line := range strings.SplitSeq(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != key {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			break
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, err
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		return n, nil
	}
	return 0, fmt.Errorf("%s not found", key)
}
