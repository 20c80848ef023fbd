// Package ops implements the DSL's operators as typed processors for the
// task engine: sources and sinks, stateless transformations, stream and
// windowed aggregations, and table operations.
package ops
