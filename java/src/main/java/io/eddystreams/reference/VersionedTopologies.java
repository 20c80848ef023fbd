package io.eddystreams.reference;

import java.time.Duration;
import java.util.Map;
import java.util.WeakHashMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.ValueTransformerWithKey;
import org.apache.kafka.streams.processor.ProcessorContext;
import org.apache.kafka.streams.state.Stores;

/**
 * Topologies for the versioned-table conformance test (integration/conformance_versioned_test.go):
 * stream–table joins over a versioned table (KIP-889, KIP-914).
 *
 * <p>{@code versioned-join}: vs-stream joined (inner → vs-join, left → vs-leftjoin) with the table
 * read from vs-table into a versioned store {@code vs-rows} with a history retention of
 * {@value #HISTORY_MS} ms. Each stream record joins the table row valid at its own timestamp; table
 * updates older than the key's latest row are kept in the history, and updates older than the
 * history retention behind the largest table timestamp seen are dropped. Keys and values are
 * Strings; the joiner writes {@code stream|row}, an absent row printed as {@code null}. The table's
 * toStream() goes to vs-changes: it has every update put in the store, out-of-order ones included
 * (not the latest version, so they trigger no join), but not those older than the history.
 *
 * <p>{@code versioned-join-grace}: the same joins with a grace period of {@value #GRACE_MS} ms
 * ({@code Joined.withGracePeriod}, KIP-923): stream records wait in a buffer until stream time has
 * passed them by the grace, then join in timestamp order.
 *
 * <p>{@code versioned-derived}: stream–table joins with tables derived from the versioned vs-table
 * (KIP-914 through value getters): vs-stream joined, inner → vs-djoin and left → vs-dleftjoin, with
 * {@code filter(keep).mapValues(toUpperCase)} of the table, not materialized, so each record joins
 * the filter and mapping of the version valid at its timestamp (a version the filter drops is no
 * row); left with the same derived table and a grace period of {@value #GRACE_MS} ms → vs-dgrace;
 * left with {@code filter(keep)} materialized in a versioned store {@code vs-filtered} (history
 * {@value #HISTORY_MS} ms), then mapped → vs-mleftjoin; that filter's toStream() → vs-fchanges.
 * {@code keep} drops values ending in x, 3, 6 or 9. The table's updates are also counted per key
 * ({@code toStream().groupByKey().count()}) into a versioned store {@code vs-counts} (history
 * {@value #HISTORY_MS} ms): its toStream() → vs-vcount, and vs-stream left-joined with the counts
 * (as Strings, mapValues) → vs-cjoin, each record with the count valid at its timestamp; the
 * stream's records are counted per key into a versioned store {@code vs-scounts} too, whose
 * toStream() → vs-scount: an out-of-order record older than the history behind the store's latest
 * count is neither stored nor forwarded. Last, vs-stream joined (inner) with a transformValues of the
 * table, not materialized → vs-tjoin: the join reads the transform of the version valid at each
 * record's timestamp (KTableTransformValuesGetter.get(key, asOfTimestamp), with a transformer of its
 * own): no row becomes {@code none}, a value {@code keep} drops no row, any other its upper case
 * with the context's timestamp (the version's) and topic (none, in the getter). And the table's
 * {@code filter(keep)}, not materialized, joined (table–table, inner) with the table itself, the
 * joiner writing {@code filtered+row} → vs-selfjoin: both join processors read the other side
 * through value getters of the versioned store (its latest version), after the update.
 *
 * <p>{@code versioned-oldvalue}: vs-table read as a plain table (not versioned), its {@code filter(keep)}
 * and its {@code mapValues(toUpperCase)} each materialized in a versioned store (history
 * {@value #HISTORY_MS} ms), then grouped by their own key and aggregated into a string of {@code +v}
 * (adder) and {@code -v} (subtractor) → vo-fagg and vo-magg. An update older than its key's latest
 * version in the versioned store is forwarded as not the latest, so the aggregation ignores it; the
 * old value the materialized filter and mapValues forward is their store's latest row
 * ({@code store.get(key)}), which is what the next update subtracts.
 *
 * <p>A versioned store needs a name. To keep store names independent of the topic prefix (see
 * TopicPrefixTest) and still add the topology to one builder several times, the store of the n-th
 * addition to a builder is {@code vs-rows-n} (n &gt; 1).
 *
 * <p>The output depends on the order in which a task interleaves its two input partitions, which
 * is deterministic for input written before the application starts with distinct timestamps (see
 * {@link JoinTopologies}).
 */
public final class VersionedTopologies {
    public static final String VS_STREAM = "vs-stream";
    public static final String VS_TABLE = "vs-table";
    public static final String VS_JOIN = "vs-join";
    public static final String VS_LEFT_JOIN = "vs-leftjoin";
    public static final String VS_CHANGES = "vs-changes";
    public static final String VS_DJOIN = "vs-djoin";
    public static final String VS_DLEFT_JOIN = "vs-dleftjoin";
    public static final String VS_DGRACE = "vs-dgrace";
    public static final String VS_MLEFT_JOIN = "vs-mleftjoin";
    public static final String VS_FCHANGES = "vs-fchanges";
    public static final String VS_VCOUNT = "vs-vcount";
    public static final String VS_CJOIN = "vs-cjoin";
    public static final String VS_SCOUNT = "vs-scount";
    public static final String VS_TJOIN = "vs-tjoin";
    public static final String VS_SELFJOIN = "vs-selfjoin";
    public static final String VO_FAGG = "vo-fagg";
    public static final String VO_MAGG = "vo-magg";
    /** The materialized filter's store (versioned-derived; suffixed like {@link #VS_STORE}). */
    public static final String VS_FILTERED_STORE = "vs-filtered";
    /** The store's name (of the first addition to a builder). */
    public static final String VS_STORE = "vs-rows";
    /** History retention of the versioned store, in milliseconds. */
    public static final long HISTORY_MS = 300;
    /** Grace period of versioned-join-grace, in milliseconds. */
    public static final long GRACE_MS = 100;

    private VersionedTopologies() {}

    /** How many times the topologies were added to each builder. */
    private static final Map<StreamsBuilder, Integer> ADDED = new WeakHashMap<>();

    private static synchronized String storeName(StreamsBuilder b) {
        int n = ADDED.merge(b, 1, Integer::sum);
        return n == 1 ? VS_STORE : VS_STORE + "-" + n;
    }

    /** The filter of versioned-derived: drops values ending in x, 3, 6 or 9. */
    static boolean keep(String key, String value) {
        return "x369".indexOf(value.charAt(value.length() - 1)) < 0;
    }

    /**
     * versioned-derived: vs-stream ⋈ filter/mapValues of the versioned vs-table, through value
     * getters and through a versioned materialization of the filter.
     */
    public static void versionedDerived(StreamsBuilder b, String prefix) {
        Consumed<String, String> strings = Consumed.with(Serdes.String(), Serdes.String());
        KStream<String, String> s = b.stream(prefix + VS_STREAM, strings);
        String store = storeName(b);
        KTable<String, String> t = b.table(prefix + VS_TABLE, strings,
                Materialized.<String, String>as(
                        Stores.persistentVersionedKeyValueStore(store, Duration.ofMillis(HISTORY_MS)))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()));
        Produced<String, String> out = Produced.with(Serdes.String(), Serdes.String());
        KTable<String, String> derived = t.filter(VersionedTopologies::keep).mapValues(v -> v.toUpperCase());
        s.join(derived, VersionedTopologies::joined).to(prefix + VS_DJOIN, out);
        s.leftJoin(derived, VersionedTopologies::joined).to(prefix + VS_DLEFT_JOIN, out);
        s.leftJoin(derived, VersionedTopologies::joined,
                Joined.with(Serdes.String(), Serdes.String(), Serdes.String()).withGracePeriod(Duration.ofMillis(GRACE_MS)))
                .to(prefix + VS_DGRACE, out);
        KTable<String, String> filtered = t.filter(VersionedTopologies::keep,
                Materialized.<String, String>as(Stores.persistentVersionedKeyValueStore(
                                store.replace(VS_STORE, VS_FILTERED_STORE), Duration.ofMillis(HISTORY_MS)))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()));
        filtered.toStream().to(prefix + VS_FCHANGES, out);
        s.leftJoin(filtered.mapValues(v -> v.toUpperCase()), VersionedTopologies::joined).to(prefix + VS_MLEFT_JOIN, out);
        KTable<String, Long> counts = t.toStream().groupByKey().count(
                Materialized.<String, Long>as(Stores.persistentVersionedKeyValueStore(
                                store.replace(VS_STORE, "vs-counts"), Duration.ofMillis(HISTORY_MS)))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));
        counts.toStream().mapValues(n -> String.valueOf(n)).to(prefix + VS_VCOUNT, out);
        s.leftJoin(counts.mapValues(n -> String.valueOf(n)), VersionedTopologies::joined).to(prefix + VS_CJOIN, out);
        s.groupByKey().count(
                Materialized.<String, Long>as(Stores.persistentVersionedKeyValueStore(
                                store.replace(VS_STORE, "vs-scounts"), Duration.ofMillis(HISTORY_MS)))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
                .toStream().mapValues(n -> String.valueOf(n)).to(prefix + VS_SCOUNT, out);
        s.join(t.transformValues(Marker::new), VersionedTopologies::joined).to(prefix + VS_TJOIN, out);
        t.filter(VersionedTopologies::keep).join(t, (f, v) -> f + "+" + v).toStream().to(prefix + VS_SELFJOIN, out);
    }

    /** versioned-oldvalue: aggregations over a filter and a mapValues materialized in versioned stores. */
    public static void versionedOldValue(StreamsBuilder b, String prefix) {
        Consumed<String, String> strings = Consumed.with(Serdes.String(), Serdes.String());
        String store = storeName(b);
        KTable<String, String> t = b.table(prefix + VS_TABLE, strings);
        Produced<String, String> out = Produced.with(Serdes.String(), Serdes.String());
        KTable<String, String> filtered = t.filter(VersionedTopologies::keep,
                Materialized.<String, String>as(Stores.persistentVersionedKeyValueStore(
                                store.replace(VS_STORE, "vo-filtered"), Duration.ofMillis(HISTORY_MS)))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()));
        KTable<String, String> mapped = t.mapValues(v -> v.toUpperCase(),
                Materialized.<String, String>as(Stores.persistentVersionedKeyValueStore(
                                store.replace(VS_STORE, "vo-mapped"), Duration.ofMillis(HISTORY_MS)))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()));
        signs(filtered).toStream().to(prefix + VO_FAGG, out);
        signs(mapped).toStream().to(prefix + VO_MAGG, out);
    }

    private static KTable<String, String> signs(KTable<String, String> t) {
        return t.groupBy(KeyValue::pair, Grouped.with(Serdes.String(), Serdes.String()))
                .aggregate(() -> "", (k, v, agg) -> agg + "+" + v, (k, v, agg) -> agg + "-" + v,
                        Materialized.with(Serdes.String(), Serdes.String()));
    }

    /** The transformer of versioned-derived's vs-tjoin. */
    private static final class Marker implements ValueTransformerWithKey<String, String, String> {
        private ProcessorContext context;

        @Override
        public void init(ProcessorContext context) {
            this.context = context;
        }

        @Override
        public String transform(String key, String value) {
            if (value == null) {
                return "none";
            }
            if (!keep(key, value)) {
                return null;
            }
            return value.toUpperCase() + "/" + context.timestamp() + (context.topic() == null ? "" : "/" + context.topic());
        }

        @Override
        public void close() {}
    }

    private static String joined(String v, String row) {
        return v + "|" + row;
    }

    /** vs-stream ⋈ versioned vs-table, inner and left. */
    public static void versionedJoin(StreamsBuilder b, String prefix) {
        versionedJoin(b, prefix, null);
    }

    /** vs-stream ⋈ versioned vs-table, inner and left, with a grace period of {@value #GRACE_MS} ms. */
    public static void versionedJoinGrace(StreamsBuilder b, String prefix) {
        versionedJoin(b, prefix, Duration.ofMillis(GRACE_MS));
    }

    private static void versionedJoin(StreamsBuilder b, String prefix, Duration grace) {
        Consumed<String, String> strings = Consumed.with(Serdes.String(), Serdes.String());
        KStream<String, String> s = b.stream(prefix + VS_STREAM, strings);
        KTable<String, String> t = b.table(prefix + VS_TABLE, strings,
                Materialized.<String, String>as(
                        Stores.persistentVersionedKeyValueStore(storeName(b), Duration.ofMillis(HISTORY_MS)))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()));
        Produced<String, String> out = Produced.with(Serdes.String(), Serdes.String());
        t.toStream().to(prefix + VS_CHANGES, out);
        if (grace == null) {
            s.join(t, VersionedTopologies::joined).to(prefix + VS_JOIN, out);
            s.leftJoin(t, VersionedTopologies::joined).to(prefix + VS_LEFT_JOIN, out);
            return;
        }
        Joined<String, String, String> joined = Joined.with(Serdes.String(), Serdes.String(), Serdes.String())
                .withGracePeriod(grace);
        s.join(t, VersionedTopologies::joined, joined).to(prefix + VS_JOIN, out);
        s.leftJoin(t, VersionedTopologies::joined, joined).to(prefix + VS_LEFT_JOIN, out);
    }
}
