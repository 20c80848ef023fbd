package io.eddystreams.reference;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Aggregator;
import org.apache.kafka.streams.kstream.CogroupedKStream;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.WindowedSerdes;

/**
 * Topologies for the cogroup conformance test (integration/conformance_cogroup_test.go): several
 * grouped streams with values of different types aggregated into one table (KIP-150).
 *
 * <p>{@code cogroup}: cg-a (String values), cg-b (Long values) and cg-c (String values), each
 * grouped by its key, cogrouped into a String aggregate: cg-a and cg-c append their value, cg-b
 * appends {@code "b" + value}. The same cogroup is aggregated four ways, each to its own output:
 * unwindowed (cg-agg), over 10 s windows advancing by 5 s with 2 s grace (cg-windowed, time-windowed
 * keys), over sessions with a 3 s gap and 2 s grace merged with {@code left + "+" + right}
 * (cg-session, session-windowed keys, tombstones for merged sessions) and over 5 s sliding windows
 * with 2 s grace (cg-sliding). Windowed aggregations hand null values to the aggregators; these turn
 * them into the Go zero value ("" and 0), as Eddy's aggregators receive them.
 *
 * <p>{@code cogroup-repartition}: cg-a and cg-b as above, and cg-r whose String values
 * {@code "<key>:<n>"} are re-keyed by key and mapped to the Long n, so the cogroup repartitions
 * them; the Long aggregate adds the length of cg-a values, 1000 × cg-b values and 1000000 × cg-r
 * values (cg-rsum). The repartitioned records reach the aggregation in an order that depends on
 * timing, so the test compares the final sums, not each update.
 *
 * <p>Stores and internal topics have generated names (see {@link Topologies.Spec#addTo}).
 */
public final class CogroupTopologies {
    public static final String CG_A = "cg-a";
    public static final String CG_B = "cg-b";
    public static final String CG_C = "cg-c";
    public static final String CG_R = "cg-r";
    public static final String CG_AGG = "cg-agg";
    public static final String CG_WINDOWED = "cg-windowed";
    public static final String CG_SESSION = "cg-session";
    public static final String CG_SLIDING = "cg-sliding";
    public static final String CG_RSUM = "cg-rsum";

    public static final Duration WINDOW_SIZE = Duration.ofSeconds(10);
    public static final Duration WINDOW_ADVANCE = Duration.ofSeconds(5);
    public static final Duration SESSION_GAP = Duration.ofSeconds(3);
    public static final Duration SLIDING_DIFF = Duration.ofSeconds(5);
    public static final Duration GRACE = Duration.ofSeconds(2);

    private CogroupTopologies() {}

    private static String str(String v) {
        return v == null ? "" : v;
    }

    private static long num(Long v) {
        return v == null ? 0L : v;
    }

    /** The cogroup of cg-a, cg-b and cg-c, aggregated four ways. */
    public static void cogroup(StreamsBuilder b, String prefix) {
        KGroupedStream<String, String> a = b.stream(prefix + CG_A, Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
        KGroupedStream<String, Long> bs = b.stream(prefix + CG_B, Consumed.with(Serdes.String(), Serdes.Long()))
                .groupByKey(Grouped.with(Serdes.String(), Serdes.Long()));
        KGroupedStream<String, String> c = b.stream(prefix + CG_C, Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
        Aggregator<String, String, String> addString = (k, v, agg) -> agg + str(v);
        Aggregator<String, Long, String> addLong = (k, v, agg) -> agg + "b" + num(v);
        CogroupedKStream<String, String> cg = a.cogroup(addString).cogroup(bs, addLong).cogroup(c, addString);

        cg.aggregate(() -> "", Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to(prefix + CG_AGG, Produced.with(Serdes.String(), Serdes.String()));
        cg.windowedBy(TimeWindows.ofSizeAndGrace(WINDOW_SIZE, GRACE).advanceBy(WINDOW_ADVANCE))
                .aggregate(() -> "", Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to(prefix + CG_WINDOWED, Produced.with(
                        WindowedSerdes.timeWindowedSerdeFrom(String.class, WINDOW_SIZE.toMillis()), Serdes.String()));
        cg.windowedBy(SessionWindows.ofInactivityGapAndGrace(SESSION_GAP, GRACE))
                .aggregate(() -> "", (k, left, right) -> left + "+" + right, Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to(prefix + CG_SESSION, Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(String.class), Serdes.String()));
        cg.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(SLIDING_DIFF, GRACE))
                .aggregate(() -> "", Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to(prefix + CG_SLIDING, Produced.with(
                        WindowedSerdes.timeWindowedSerdeFrom(String.class, SLIDING_DIFF.toMillis()), Serdes.String()));
    }

    /** cg-a, cg-b and the re-keyed cg-r cogrouped into Long sums. */
    public static void cogroupRepartition(StreamsBuilder b, String prefix) {
        KGroupedStream<String, String> a = b.stream(prefix + CG_A, Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
        KGroupedStream<String, Long> bs = b.stream(prefix + CG_B, Consumed.with(Serdes.String(), Serdes.Long()))
                .groupByKey(Grouped.with(Serdes.String(), Serdes.Long()));
        KGroupedStream<String, Long> r = b.stream(prefix + CG_R, Consumed.with(Serdes.String(), Serdes.String()))
                .map((k, v) -> {
                    int colon = v.indexOf(':');
                    return KeyValue.pair(v.substring(0, colon), Long.parseLong(v.substring(colon + 1)));
                })
                .groupByKey(Grouped.with(Serdes.String(), Serdes.Long()));
        a.<Long>cogroup((k, v, agg) -> agg + v.length())
                .cogroup(bs, (k, v, agg) -> agg + 1000L * v)
                .cogroup(r, (k, v, agg) -> agg + 1_000_000L * v)
                .aggregate(() -> 0L, Materialized.with(Serdes.String(), Serdes.Long()))
                .toStream()
                .to(prefix + CG_RSUM, Produced.with(Serdes.String(), Serdes.Long()));
    }
}
