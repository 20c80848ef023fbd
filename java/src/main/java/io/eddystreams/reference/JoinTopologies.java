package io.eddystreams.reference;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;

/**
 * Topologies for the conformance test of timestamp-ordered processing (integration/
 * conformance_order_test.go): joins and a merge, where the output depends on the order in which a
 * task interleaves the records of its input partitions. Kafka Streams picks, among a task's
 * partitions, the one whose next buffered record has the lowest timestamp, and with
 * {@code max.task.idle.ms=0} (the default) waits for data it knows to be on the broker; so on
 * input written before the application starts, with distinct timestamps, the output is
 * deterministic.
 *
 * <p>Every topology writes all its variants (inner, left, outer) from the same inputs, so one run
 * covers them; keys and values are Strings, and the joiner writes {@code left|right} with Java's
 * string concatenation, so an absent side prints as {@code null}. Stores and internal topics have
 * generated names: a topology can be added to one builder several times with different topic
 * prefixes (see {@link Topologies.Spec#addTo}).
 *
 * <p>Left and outer stream–stream joins emit a record without a partner once its window has closed.
 * Kafka Streams checks for such records at most once per
 * {@value #EMIT_INTERVAL_CONFIG} of wall-clock time (default 1000 ms), which makes the output depend
 * on timing (and leaves records unemitted if the input ends within the interval); the conformance
 * test sets it to 0, as Eddy behaves, so the check runs whenever stream time advances.
 */
public final class JoinTopologies {
    /** Kafka Streams' internal config throttling the emission of unmatched stream–stream join records. */
    public static final String EMIT_INTERVAL_CONFIG = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__";

    // ---- join-stream-table: st-stream ⋈ st-table ----
    public static final String ST_STREAM = "st-stream";
    public static final String ST_TABLE = "st-table";
    public static final String ST_JOIN = "st-join";
    public static final String ST_LEFT_JOIN = "st-leftjoin";

    // ---- join-stream-stream, join-stream-stream-grace: ss-left ⋈ ss-right over 5 s windows ----
    public static final String SS_LEFT = "ss-left";
    public static final String SS_RIGHT = "ss-right";
    public static final String SS_JOIN = "ss-join";
    public static final String SS_LEFT_JOIN = "ss-leftjoin";
    public static final String SS_OUTER_JOIN = "ss-outerjoin";
    /** Records join when their timestamps differ by at most this. */
    public static final Duration SS_WINDOW = Duration.ofSeconds(5);
    /** The grace of join-stream-stream-grace (join-stream-stream has none). */
    public static final Duration SS_GRACE = Duration.ofSeconds(2);

    // ---- join-table-table: tt-left ⋈ tt-right ----
    public static final String TT_LEFT = "tt-left";
    public static final String TT_RIGHT = "tt-right";
    public static final String TT_JOIN = "tt-join";
    public static final String TT_LEFT_JOIN = "tt-leftjoin";
    public static final String TT_OUTER_JOIN = "tt-outerjoin";

    // ---- merge: merge-a + merge-b ----
    public static final String MERGE_A = "merge-a";
    public static final String MERGE_B = "merge-b";
    public static final String MERGE_OUT = "merge-out";

    private JoinTopologies() {}

    /** The joiner of every join here: {@code left|right}, an absent side printed as {@code null}. */
    static String joined(String left, String right) {
        return left + "|" + right;
    }

    private static Consumed<String, String> strings() {
        return Consumed.with(Serdes.String(), Serdes.String());
    }

    private static Produced<String, String> out() {
        return Produced.with(Serdes.String(), Serdes.String());
    }

    /** Stream–table inner join → st-join, left join → st-leftjoin; results keep the stream record's timestamp. */
    public static void streamTable(StreamsBuilder b, String prefix) {
        KStream<String, String> s = b.stream(prefix + ST_STREAM, strings());
        KTable<String, String> t = b.table(prefix + ST_TABLE, strings());
        s.join(t, JoinTopologies::joined).to(prefix + ST_JOIN, out());
        s.leftJoin(t, JoinTopologies::joined).to(prefix + ST_LEFT_JOIN, out());
    }

    /** Windowed stream–stream inner, left and outer join over 5 s windows with the given grace. */
    public static void streamStream(StreamsBuilder b, String prefix, Duration grace) {
        KStream<String, String> l = b.stream(prefix + SS_LEFT, strings());
        KStream<String, String> r = b.stream(prefix + SS_RIGHT, strings());
        JoinWindows w = grace.isZero()
                ? JoinWindows.ofTimeDifferenceWithNoGrace(SS_WINDOW)
                : JoinWindows.ofTimeDifferenceAndGrace(SS_WINDOW, grace);
        StreamJoined<String, String, String> with = StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String());
        l.join(r, JoinTopologies::joined, w, with).to(prefix + SS_JOIN, out());
        l.leftJoin(r, JoinTopologies::joined, w, with).to(prefix + SS_LEFT_JOIN, out());
        l.outerJoin(r, JoinTopologies::joined, w, with).to(prefix + SS_OUTER_JOIN, out());
    }

    /**
     * Primary-key table–table inner, left and outer join; deletions come out as tombstones (null
     * values). The left and outer joins make the source tables send old values, as they would alone.
     */
    public static void tableTable(StreamsBuilder b, String prefix) {
        KTable<String, String> l = b.table(prefix + TT_LEFT, strings());
        KTable<String, String> r = b.table(prefix + TT_RIGHT, strings());
        l.join(r, JoinTopologies::joined).toStream().to(prefix + TT_JOIN, out());
        l.leftJoin(r, JoinTopologies::joined).toStream().to(prefix + TT_LEFT_JOIN, out());
        l.outerJoin(r, JoinTopologies::joined).toStream().to(prefix + TT_OUTER_JOIN, out());
    }

    /** merge-a and merge-b merged into merge-out, records unchanged. */
    public static void merge(StreamsBuilder b, String prefix) {
        b.stream(prefix + MERGE_A, strings())
                .merge(b.stream(prefix + MERGE_B, strings()))
                .to(prefix + MERGE_OUT, out());
    }
}
