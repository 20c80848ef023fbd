// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"unicode"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// Topic and store names shared with the Java Kafka Streams reference
// implementation (java/), so their outputs can be compared byte for byte.
const (
	InputTopic  = "text-lines"
	OutputTopic = "word-counts-output"
	Store       = "word-counts"
)

// Words splits a line into lower-case words on ASCII whitespace, as Java's
// line.toLowerCase(Locale.ROOT).split("\\s+") does.
func Words(line string) []string {
	return strings.FieldsFunc(lowerRoot(line), func(r rune) bool {
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			return true
		}
		return false
	})
}

// Topology counts words: text lines in, a running count per word out.
func Topology() (*stream.Topology, error) {
	b := stream.NewBuilder()
	b.Stream(InputTopic, serde.String(), serde.String()).
		FlatMapValues(Words).
		GroupBy(func(_, word string) string { return word }, serde.String()).
		Count(table.As(Store)).
		ToStream().
		To(OutputTopic, serde.String(), serde.Int64())
	return b.Build()
}

// lowerRoot lower-cases s as Java's String.toLowerCase(Locale.ROOT): Go's
// simple per-rune mapping plus Java's two context rules that matter for
// word counts — capital I with dot above becomes "i" + combining dot, and
// capital sigma at the end of a word becomes final sigma.
func lowerRoot(s string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range rs {
		switch {
		case r == 'İ':
			b.WriteString("i\u0307")
		case r == 'Σ' && i > 0 && unicode.IsLetter(rs[i-1]) && (i+1 == len(rs) || !unicode.IsLetter(rs[i+1])):
			b.WriteRune('ς')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
