package io.eddystreams.reference;

import java.time.Duration;
import java.util.Map;
import java.util.WeakHashMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * table-oldvalues: Kafka Streams' sendOldValues rules for table filters (KTableFilter), the
 * reference of integration/conformance_oldvalues_test.go. A filter that sends old values drops a
 * change neither of whose values passes; whether it does depends on its table being materialized
 * when the filter is created, on downstream operators asking for old values (joins, groupBy) and
 * on versioned semantics. Tables ov-a … ov-g get the same updates.
 */
public final class OldValuesTopologies {
    private OldValuesTopologies() {}

    public static final String OV_A = "ov-a", OV_B = "ov-b", OV_C = "ov-c", OV_D = "ov-d", OV_E = "ov-e",
            OV_F = "ov-f", OV_G = "ov-g", OV_OTHER = "ov-other", OV_STREAM = "ov-stream";
    public static final String OV_NAMED = "ov-named", OV_BEFORE = "ov-before", OV_SJOIN = "ov-sjoin",
            OV_AFTER = "ov-after", OV_INNER = "ov-inner", OV_LEFT = "ov-left", OV_OUTER = "ov-outer",
            OV_AGG = "ov-agg", OV_VERSIONED = "ov-versioned", OV_MAT = "ov-mat", OV_MAT2 = "ov-mat2",
            OV_MAT2_FILTER = "ov-mat2-filter";
    static final long HISTORY_MS = 300;
    public static final String OV_W = "ov-w", OV_WCOUNT = "ov-wcount", OV_SCOUNT = "ov-scount", OV_SLCOUNT = "ov-slcount", OV_KVCOUNT = "ov-kvcount";

    private static final Map<StreamsBuilder, Integer> ADDED = new WeakHashMap<>();

    /** A suffix making the named stores of each addition to a shared builder unique. */
    private static synchronized String suffix(StreamsBuilder b) {
        int n = ADDED.merge(b, 1, Integer::sum);
        return n == 1 ? "" : "-" + n;
    }

    /** Keeps values ending in an even digit. */
    static boolean keep(String key, String value) {
        return (value.charAt(value.length() - 1) - '0') % 2 == 0;
    }

    private static Materialized<String, String, KeyValueStore<Bytes, byte[]>> kv(String name) {
        return Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(name)
                .withKeySerde(Serdes.String()).withValueSerde(Serdes.String());
    }

    public static void oldValues(StreamsBuilder b, String p) {
        Consumed<String, String> strings = Consumed.with(Serdes.String(), Serdes.String());
        Produced<String, String> out = Produced.with(Serdes.String(), Serdes.String());
        String sfx = suffix(b);

        // A table named at creation is materialized: its filter sends old values.
        b.table(p + OV_A, strings, kv("ov-src" + sfx)).filter(OldValuesTopologies::keep).toStream().to(p + OV_NAMED, out);

        // A stream–table join materializes ov-b: the filter created before it forwards every
        // change, the one created after drops.
        KTable<String, String> tb = b.table(p + OV_B, strings);
        tb.filter(OldValuesTopologies::keep).toStream().to(p + OV_BEFORE, out);
        b.stream(p + OV_STREAM, strings).join(tb, (s, v) -> s + "|" + v).to(p + OV_SJOIN, out);
        tb.filter(OldValuesTopologies::keep).toStream().to(p + OV_AFTER, out);

        // Three filters of ov-c created before any join: the inner join asks for no old values,
        // the left and outer joins do.
        KTable<String, String> tc = b.table(p + OV_C, strings);
        KTable<String, String> other = b.table(p + OV_OTHER, strings);
        KTable<String, String> fi = tc.filter(OldValuesTopologies::keep);
        KTable<String, String> fl = tc.filter(OldValuesTopologies::keep);
        KTable<String, String> fo = tc.filter(OldValuesTopologies::keep);
        fi.join(other, (v, w) -> v + "|" + w).toStream().to(p + OV_INNER, out);
        fl.leftJoin(other, (v, w) -> v + "|" + w).toStream().to(p + OV_LEFT, out);
        fo.outerJoin(other, (v, w) -> v + "|" + w).toStream().to(p + OV_OUTER, out);

        // groupBy asks for old values.
        b.table(p + OV_D, strings).filter(OldValuesTopologies::keep)
                .groupBy(KeyValue::pair, Grouped.with(Serdes.String(), Serdes.String()))
                .aggregate(() -> "", (k, v, agg) -> agg + "+" + v, (k, v, agg) -> agg + "-" + v,
                        Materialized.with(Serdes.String(), Serdes.String()))
                .toStream().to(p + OV_AGG, out);

        // A filter of a versioned table never drops.
        b.table(p + OV_E, strings, Materialized.<String, String>as(
                        Stores.persistentVersionedKeyValueStore("ov-v" + sfx, Duration.ofMillis(HISTORY_MS)))
                .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
                .filter(OldValuesTopologies::keep).toStream().to(p + OV_VERSIONED, out);

        // A materialized filter of a table that is not materialized sends no old values ...
        b.table(p + OV_F, strings).filter(OldValuesTopologies::keep, kv("ov-f" + sfx)).toStream().to(p + OV_MAT, out);
        // ... until a filter of it asks: then it reads them from its store, and both drop.
        KTable<String, String> g = b.table(p + OV_G, strings).filter(OldValuesTopologies::keep, kv("ov-g" + sfx));
        g.toStream().to(p + OV_MAT2, out);
        g.filter((k, v) -> !v.isEmpty()).toStream().to(p + OV_MAT2_FILTER, out);
    }

    /**
     * table-oldvalues-windowed: filters of a windowed, a session, a sliding and a plain count (aggregations always
     * send old values, so both drop); keys written as key@start (key@start-end for sessions).
     */
    public static void windowed(StreamsBuilder b, String p) {
        Produced<String, String> out = Produced.with(Serdes.String(), Serdes.String());
        KGroupedStream<String, String> g = b.stream(p + OV_W, Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
        g.windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(100), Duration.ofMillis(50))).count()
                .filter((wk, c) -> c % 3 == 0).toStream()
                .map((wk, c) -> KeyValue.pair(wk.key() + "@" + wk.window().start(), c == null ? null : String.valueOf(c)))
                .to(p + OV_WCOUNT, out);
        g.windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofMillis(30), Duration.ofMillis(50))).count()
                .filter((wk, c) -> c % 3 == 0).toStream()
                .map((wk, c) -> KeyValue.pair(wk.key() + "@" + wk.window().start() + "-" + wk.window().end(),
                        c == null ? null : String.valueOf(c)))
                .to(p + OV_SCOUNT, out);
        g.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(40), Duration.ofMillis(50))).count()
                .filter((wk, c) -> c % 3 == 0).toStream()
                .map((wk, c) -> KeyValue.pair(wk.key() + "@" + wk.window().start() + "-" + wk.window().end(),
                        c == null ? null : String.valueOf(c)))
                .to(p + OV_SLCOUNT, out);
        g.count().filter((k, c) -> c % 3 == 0).toStream().mapValues(c -> c == null ? null : String.valueOf(c))
                .to(p + OV_KVCOUNT, out);
    }
}
