// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package reset

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteTo prints the plan for a person: every committed offset it sets,
// every offset and topic it deletes, what it leaves alone and why, and the
// local state it deletes. It implements io.WriterTo.
func (p *Plan) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	b := bufio.NewWriter(cw)
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }

	if p.GroupState == "Dead" {
		line("Application %q: consumer group %q does not exist yet (nothing committed).", p.AppID, p.AppID)
	} else {
		line("Application %q: consumer group %q is %s (no live members).", p.AppID, p.AppID, p.GroupState)
	}

	if len(p.Inputs) == 0 {
		line("Input topics: none given; input offsets stay as they are.")
	} else {
		line("Input topics: set committed offsets to %v", p.Position)
		writeChanges(line, p.Inputs)
	}
	if len(p.Intermediates) > 0 {
		line("Intermediate topics: set committed offsets to latest")
		writeChanges(line, p.Intermediates)
	}

	if len(p.DeleteOffsets) > 0 {
		line("Delete committed offsets on internal topics:")
		for _, tp := range p.DeleteOffsets {
			parts := make([]string, len(tp.Partitions))
			for i, n := range tp.Partitions {
				parts[i] = strconv.Itoa(int(n))
			}
			line("  %s: partitions %s", tp.Topic, strings.Join(parts, ", "))
		}
	}
	if len(p.DeleteTopics) == 0 {
		line("Internal topics: none found (%s-*%s, %s-*%s).", p.AppID, repartitionSuffix, p.AppID, changelogSuffix)
	} else {
		line("Delete internal topics:")
		for _, t := range p.DeleteTopics {
			line("  %s", t)
		}
	}
	if len(p.Skipped) > 0 {
		line("Leave alone, named like internal topics but possibly another application's (its consumer group exists); delete by hand if they are %q's:", p.AppID)
		for _, s := range p.Skipped {
			line("  %s (application %q)", s.Topic, s.Owner)
		}
	}
	if len(p.Untouched) > 0 {
		line("Leave alone, committed offsets on topics named neither as input nor as intermediate topics:")
		for _, t := range p.Untouched {
			line("  %s", t)
		}
	}

	switch {
	case p.StateDir == "":
		line("Local state: left alone (no state directory given).")
	case len(p.StateEntries) == 0:
		line("Local state: nothing to delete in %s.", p.StateDir)
	default:
		line("Delete local state in %s (the instance-id file is kept):", p.StateDir)
		for _, e := range p.StateEntries {
			line("  %s", e)
		}
	}
	err := b.Flush()
	return cw.n, err
}

func writeChanges(line func(string, ...any), cs []OffsetChange) {
	for _, c := range cs {
		from := "none"
		if c.From >= 0 {
			from = strconv.FormatInt(c.From, 10)
		}
		line("  %s/%d: %s -> %d", c.Topic, c.Partition, from, c.To)
	}
}

// countingWriter counts the bytes written through it, for WriteTo.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
