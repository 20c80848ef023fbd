// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import "context"

func helpCommand() *command {
	return &command{
		name:        "help",
		summary:     "show help for eddy or a command",
		synopsis:    "[command]",
		description: "Help prints the list of commands, or the usage and flags of the named command.\n",
		run:         runHelp,
	}
}

func runHelp(_ context.Context, env *env, args []string) error {
	switch len(args) {
	case 0:
		printUsage(env.stdout)
		return nil
	case 1:
		c := lookup(args[0])
		if c == nil {
			return usagef("unknown command %q", args[0])
		}
		printCommandUsage(env.stdout, c)
		return nil
	default:
		return usagef("expected at most one command name, got %d arguments", len(args))
	}
}
