// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Command eddy is Eddy's command-line tool.
//
// Usage:
//
//	eddy <command> [flags]
//
// Commands:
//
//	broker   run an embedded Kafka-protocol broker for development
//	reset    reset an application so that it reprocesses its input
//	capture  write a slice of topics to a file that topologytest replays
//	help     show help for eddy or a command
//
// Each command lives in its own file and is listed in commands below.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one eddy subcommand.
type command struct {
	name        string
	summary     string // one line for the command list
	synopsis    string // arguments after "eddy <name>" in the usage line
	description string // paragraphs for "eddy help <name>"
	// flags returns the command's flag set with its defaults; nil if the
	// command takes no flags. It is used for help output.
	flags func() *flag.FlagSet
	// run executes the command with its arguments (after the command
	// name). ctx is canceled on SIGINT/SIGTERM. A *usageError, or
	// flag.ErrHelp after help was printed, is treated specially.
	run func(ctx context.Context, env *env, args []string) error
}

// env is the process environment a command runs in, so tests can capture
// output.
type env struct {
	stdout, stderr io.Writer
}

// commands lists the subcommands in help order. Add new ones here.
func commands() []*command {
	return []*command{
		brokerCommand(),
		resetCommand(),
		captureCommand(),
		helpCommand(),
	}
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usageError is a mistake in how eddy was invoked; it exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling so a
		// second Ctrl-C kills a shutdown that hangs.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// run runs eddy with args (without the program name) and returns the exit
// status: 0 on success, 1 if the command failed, 2 on a usage error.
func run(ctx context.Context, args []string, env *env) int {
	if len(args) == 0 {
		printUsage(env.stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(env.stderr, "eddy: unknown command %q\nRun 'eddy help' for usage.\n", name)
		return 2
	}
	err := cmd.run(ctx, env, args[1:])
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.stderr, "eddy %s: %v\nRun 'eddy help %s' for usage.\n", cmd.name, err, cmd.name)
		return 2
	default:
		fmt.Fprintf(env.stderr, "eddy %s: %v\n", cmd.name, err)
		return 1
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, "Eddy is a stream-processing framework for Go in the style of Kafka Streams.\n\n")
	fmt.Fprint(w, "Usage:\n\n\teddy <command> [flags]\n\nCommands:\n\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'eddy help <command>' for more about a command.\n")
}

// printCommandUsage prints the help of one command.
func printCommandUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: eddy %s %s\n\n%s", c.name, c.synopsis, c.description)
	if c.flags != nil {
		fs := c.flags()
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

// parseFlags parses a command's args into fs (made by its flags function)
// and rejects positional arguments. For -h it prints the command's help
// to stdout and returns flag.ErrHelp; other mistakes become usage errors.
func parseFlags(env *env, c *command, fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard) // we report errors ourselves
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandUsage(env.stdout, c)
			return err
		}
		return &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
