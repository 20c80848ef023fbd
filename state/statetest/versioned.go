// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package statetest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cockroachdb/datadriven"

	"github.com/eddy-streams/eddy/state"
)

// runVersioned runs the data-driven commands of versioned stores:
//
//	versioned store=v retention=10   open v with that history retention
//	vput store=v                     lines "key value ts": Put, printing validTo
//	vdelete store=v                  lines "key ts": Delete, printing the old version
//	vget store=v                     lines "key" (latest) or "key asOf"
//	vobserved store=v                the observed time
//
// It reports whether d.Cmd is one of them.
func (sc *script) runVersioned(d *datadriven.TestData, inputs [][]string) (string, bool) {
	switch d.Cmd {
	case "versioned", "vput", "vdelete", "vget", "vobserved":
	default:
		return "", false
	}
	var lines []string
	emit := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	fail := func(err error) (string, bool) { return "error: " + err.Error(), true }
	store, _ := arg(d, "store")
	if d.Cmd == "versioned" {
		if sc.versioned == nil {
			sc.versioned = map[string]state.VersionedOptions{}
		}
		sc.versioned[store] = state.VersionedOptions{HistoryRetention: argInt(d, "retention", 0)}
	}
	opts, ok := sc.versioned[store]
	if !ok {
		panic("versioned store " + store + " not declared")
	}
	vb, ok := sc.e.b.(state.VersionedBackend)
	if !ok {
		return fail(fmt.Errorf("backend %T does not implement state.VersionedBackend", sc.e.b))
	}
	v, err := vb.Versioned(store, opts)
	if err != nil {
		return fail(err)
	}
	ts := func(w string) int64 {
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil {
			panic(fmt.Sprintf("bad timestamp %q", w))
		}
		return n
	}
	validTo := func(to int64) string {
		switch to {
		case state.VersionIsLatest:
			return "latest"
		case state.VersionNotPut:
			return "not-put"
		}
		return fmt.Sprintf("valid-to %d", to)
	}
	record := func(r state.VersionedRecord, found bool) string {
		if !found {
			return "<none>"
		}
		to := "latest"
		if r.ValidTo != state.VersionIsLatest {
			to = strconv.FormatInt(r.ValidTo, 10)
		}
		return fmt.Sprintf("%s [%d,%s)", fmtBytes(r.Value), r.Timestamp, to)
	}
	switch d.Cmd {
	case "versioned":
		return "ok", true
	case "vput":
		for _, in := range inputs {
			to, err := v.Put(bytesOf(in[0]), bytesOf(in[1]), ts(in[2]))
			if err != nil {
				return fail(err)
			}
			emit("%s@%s %s", fmtBytes(bytesOf(in[0])), in[2], validTo(to))
		}
	case "vdelete":
		for _, in := range inputs {
			old, found, err := v.Delete(bytesOf(in[0]), ts(in[1]))
			if err != nil {
				return fail(err)
			}
			emit("%s@%s was %s", fmtBytes(bytesOf(in[0])), in[1], record(old, found))
		}
	case "vget":
		for _, in := range inputs {
			var r state.VersionedRecord
			var found bool
			var err error
			if len(in) > 1 {
				r, found, err = v.GetAsOf(bytesOf(in[0]), ts(in[1]))
			} else {
				r, found, err = v.Get(bytesOf(in[0]))
			}
			if err != nil {
				return fail(err)
			}
			at := fmtBytes(bytesOf(in[0]))
			if len(in) > 1 {
				at += "@" + in[1]
			}
			emit("%s %s", at, record(r, found))
		}
	case "vobserved":
		t, err := v.ObservedTime()
		if err != nil {
			return fail(err)
		}
		if t == state.MinTime {
			return "min", true
		}
		return fmt.Sprint(t), true
	}
	return strings.Join(lines, "\n"), true
}
