// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// slot is one instance position: a fixed instance id and state directory
// reused by every process started for it.
type slot struct {
	n        int
	id       string
	stateDir string
	logPath  string

	// guarded by cluster.mu
	cmd        *exec.Cmd
	startedAt  time.Time
	exited     chan struct{} // closed when the current process has exited
	expectExit bool          // the controller killed or stopped it
	parked     bool          // scaled in: stopped until the controller starts it again
	starts     int
	kills      int
	unexpected []string // descriptions of exits the controller did not cause
}

// cluster runs the instance processes of one chaos run.
type cluster struct {
	self     string   // this program's executable
	args     []string // instance flags common to all slots
	logf     func(format string, args ...any)
	mu       sync.Mutex
	slots    []*slot
	stopping bool
}

// start starts a process for s; s must have none running.
func (c *cluster) start(s *slot) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startLocked(s)
}

func (c *cluster) startLocked(s *slot) error {
	f, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	s.starts++
	fmt.Fprintf(f, "=== eddy-chaos: start #%d of %s at %s ===\n", s.starts, s.id, time.Now().Format(time.RFC3339Nano))
	args := append([]string{"instance", "-id", s.id, "-state", s.stateDir}, c.args...)
	cmd := exec.Command(c.self, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start instance %s: %w", s.id, err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited, s.expectExit, s.parked, s.startedAt = cmd, exited, false, false, time.Now()
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(f, "=== eddy-chaos: process %d of %s exited: %v ===\n", cmd.Process.Pid, s.id, exitText(err))
		f.Close()
		c.mu.Lock()
		defer c.mu.Unlock()
		close(exited)
		if s.expectExit || s.cmd != cmd {
			return
		}
		msg := fmt.Sprintf("instance %s (pid %d) exited by itself: %s", s.id, cmd.Process.Pid, exitText(err))
		s.unexpected = append(s.unexpected, msg)
		c.logf("%s; restarting it", msg)
		s.cmd = nil
		if !c.stopping {
			// Restart after a pause, as an orchestrator would.
			time.AfterFunc(time.Second, func() {
				c.mu.Lock()
				defer c.mu.Unlock()
				if !c.stopping && s.cmd == nil && !s.parked {
					if err := c.startLocked(s); err != nil {
						c.logf("restart %s: %v", s.id, err)
					}
				}
			})
		}
	}()
	return nil
}

func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "signal: " + ws.Signal().String()
		}
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// kill sends SIGKILL to the running process of each slot and waits until
// all have exited. Slots without a process are skipped.
func (c *cluster) kill(ss ...*slot) []*slot {
	var killed []*slot
	var waits []chan struct{}
	c.mu.Lock()
	for _, s := range ss {
		if s.cmd == nil {
			continue
		}
		s.expectExit = true
		if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			c.logf("kill %s: %v", s.id, err)
		}
		s.kills++
		s.cmd = nil
		killed = append(killed, s)
		waits = append(waits, s.exited)
	}
	c.mu.Unlock()
	for _, w := range waits {
		<-w
	}
	return killed
}

// running reports the slots that have a process.
func (c *cluster) running() []*slot {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*slot
	for _, s := range c.slots {
		if s.cmd != nil {
			out = append(out, s)
		}
	}
	return out
}

// active is the number of slots that should be running: those not
// parked.
func (c *cluster) active() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.slots {
		if !s.parked {
			n++
		}
	}
	return n
}

// parkedSlots reports the slots scaled in.
func (c *cluster) parkedSlots() []*slot {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*slot
	for _, s := range c.slots {
		if s.parked {
			out = append(out, s)
		}
	}
	return out
}

// park marks a slot without a process as scaled in, so that nothing
// starts it but the controller.
func (c *cluster) park(s *slot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s.parked = true
}

// stop scales in: it asks s's process to shut down gracefully (SIGTERM),
// waits up to timeout (then kills it) and parks s. stopped is false if s
// had no process to stop (it exited by itself meanwhile and is restarted
// as usual); problem says how the shutdown was not clean.
func (c *cluster) stop(s *slot, timeout time.Duration) (stopped bool, problem string) {
	// A process just started may not handle SIGTERM yet (see stopAll).
	c.mu.Lock()
	started := s.startedAt
	c.mu.Unlock()
	time.Sleep(time.Until(started.Add(2 * time.Second)))
	c.mu.Lock()
	cmd, exited := s.cmd, s.exited
	if cmd == nil || c.stopping {
		c.mu.Unlock()
		return false, ""
	}
	s.expectExit, s.parked, s.cmd = true, true, nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	c.mu.Unlock()
	select {
	case <-exited:
		if !cmd.ProcessState.Success() {
			return true, fmt.Sprintf("instance %s: graceful shutdown (scale-in) failed: %s", s.id, cmd.ProcessState)
		}
	case <-time.After(timeout):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		return true, fmt.Sprintf("instance %s: no exit within %v of SIGTERM (scale-in); killed", s.id, timeout)
	}
	return true, ""
}

// stopAll asks every instance to shut down gracefully (SIGTERM) and waits
// up to timeout, then kills what is left. It returns the slots that did
// not exit cleanly, with why.
func (c *cluster) stopAll(timeout time.Duration) []string {
	// A process that has just been started may not have installed its
	// signal handler yet, and SIGTERM would kill it: give it a moment.
	c.mu.Lock()
	c.stopping = true
	var youngest time.Time
	for _, s := range c.slots {
		if s.cmd != nil && s.startedAt.After(youngest) {
			youngest = s.startedAt
		}
	}
	c.mu.Unlock()
	time.Sleep(time.Until(youngest.Add(2 * time.Second)))
	c.mu.Lock()
	type proc struct {
		s      *slot
		cmd    *exec.Cmd
		exited chan struct{}
	}
	var ps []proc
	for _, s := range c.slots {
		if s.cmd == nil {
			continue
		}
		s.expectExit = true
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		ps = append(ps, proc{s, s.cmd, s.exited})
		s.cmd = nil
	}
	c.mu.Unlock()
	var bad []string
	deadline := time.After(timeout)
	for _, p := range ps {
		select {
		case <-p.exited:
			if !p.cmd.ProcessState.Success() {
				bad = append(bad, fmt.Sprintf("instance %s: graceful shutdown failed: %s", p.s.id, p.cmd.ProcessState))
			}
		case <-deadline:
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.exited
			bad = append(bad, fmt.Sprintf("instance %s: no exit within %v of SIGTERM; killed", p.s.id, timeout))
		}
	}
	return bad
}

// killAll kills every process, for an aborted run.
func (c *cluster) killAll() {
	c.mu.Lock()
	c.stopping = true
	ss := append([]*slot(nil), c.slots...)
	c.mu.Unlock()
	c.kill(ss...)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 4*n {
			lines = append(lines[:0], lines[len(lines)-n:]...)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// startBroker runs "eddy broker -port 0" from binary and returns its
// bootstrap address, read from its first line of output. The broker logs
// to logPath and runs until stop is called.
func startBroker(ctx context.Context, binary, logPath string, extra ...string) (addr string, stop func() error, err error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(binary, append([]string{"broker", "-port", "0"}, extra...)...)
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return "", nil, fmt.Errorf("start broker: %w", err)
	}
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(logf, r)
	}()
	stop = func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err = <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			err = <-done
		}
		logf.Close()
		return err
	}
	select {
	case addr = <-lines:
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	if addr == "" {
		_ = stop()
		return "", nil, fmt.Errorf("broker printed no address; its log:\n%s", tail(logPath, 30))
	}
	return addr, stop, nil
}
