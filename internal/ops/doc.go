// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package ops implements the DSL's operators as typed processors for the
// task engine: sources and sinks, stateless transformations, stream and
// windowed aggregations, and table operations.
package ops
