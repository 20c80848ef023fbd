package io.eddystreams.reference;

import java.time.Duration;
import java.util.Locale;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Topologies that exist only for the benchmark harness (cmd/eddy-bench). Each has a Go twin in
 * cmd/eddy-bench/scenario.go with the same topic, store and repartition-topic names, the same
 * serdes and the same output bytes, so Eddy and Kafka Streams do the same work on the same input.
 * Registered in {@link Topologies} as {@code bench-stateless}, {@code bench-window},
 * {@code bench-join} and {@code bench-restore}.
 */
public final class BenchTopologies {
    // ---- bench-stateless: text-lines → filter → mapValues → text-upper ----
    public static final String TEXT_UPPER = "text-upper";
    /** Lines shorter than this are dropped (the input is ASCII, so chars = bytes). */
    public static final int MIN_LINE = 12;

    // ---- bench-window: word count per tumbling window ----
    /** Store and repartition topic ({@code <app>-window-counts-repartition}). */
    public static final String WINDOW_COUNTS = "window-counts";
    public static final String WINDOW_COUNTS_OUTPUT = "window-counts-output";
    public static final Duration WINDOW_SIZE = Duration.ofSeconds(10);
    /** Longer than any benchmark input spans, so no record is late whatever the fetch order. */
    public static final Duration WINDOW_GRACE = Duration.ofHours(1);

    // ---- bench-join: stream–table left join ----
    public static final String JOIN_STREAM = "join-stream";
    /** Table topic and its store ({@code <app>-join-table-changelog}). */
    public static final String JOIN_TABLE = "join-table";
    public static final String JOIN_OUTPUT = "join-output";

    // ---- bench-restore: a source table whose store gets one changelog record per key ----
    public static final String RESTORE_KEYS = "restore-keys";
    public static final String RESTORE_STORE = "restore-store";

    private BenchTopologies() {}

    static boolean keep(String line) {
        return line != null && line.length() >= MIN_LINE;
    }

    static String upper(String line) {
        return line.toUpperCase(Locale.ROOT);
    }

    /** The join result: the stream value, '|', and the table row (empty when the key has none). */
    static String joined(String line, String row) {
        return row == null ? line + "|" : line + "|" + row;
    }

    public static Topology stateless(String prefix) {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(prefix + Topologies.TEXT_LINES, Consumed.with(Serdes.String(), Serdes.String()))
                .filter((k, v) -> keep(v))
                .mapValues(BenchTopologies::upper)
                .to(prefix + TEXT_UPPER, Produced.with(Serdes.String(), Serdes.String()));
        return b.build();
    }

    public static Topology window(String prefix) {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(prefix + Topologies.TEXT_LINES, Consumed.with(Serdes.String(), Serdes.String()))
                .flatMapValues(Topologies::words)
                .groupBy((key, word) -> word, Grouped.with(WINDOW_COUNTS, Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW_SIZE, WINDOW_GRACE))
                .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as(WINDOW_COUNTS)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.Long()))
                .toStream()
                .to(prefix + WINDOW_COUNTS_OUTPUT, Produced.with(
                        WindowedSerdes.timeWindowedSerdeFrom(String.class, WINDOW_SIZE.toMillis()),
                        Serdes.Long()));
        return b.build();
    }

    public static Topology join(String prefix) {
        StreamsBuilder b = new StreamsBuilder();
        KTable<String, String> table = b.table(prefix + JOIN_TABLE, Consumed.with(Serdes.String(), Serdes.String()),
                Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(JOIN_TABLE)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.String()));
        b.stream(prefix + JOIN_STREAM, Consumed.with(Serdes.String(), Serdes.String()))
                .leftJoin(table, BenchTopologies::joined)
                .to(prefix + JOIN_OUTPUT, Produced.with(Serdes.String(), Serdes.String()));
        return b.build();
    }

    public static Topology restore(String prefix) {
        StreamsBuilder b = new StreamsBuilder();
        b.table(prefix + RESTORE_KEYS, Consumed.with(Serdes.String(), Serdes.String()),
                Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(RESTORE_STORE)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.String()));
        return b.build();
    }
}
