package io.eddystreams.reference;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.ValueTransformerWithKey;
import org.apache.kafka.streams.processor.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * KTable#transformValues, for topologytest/transform_values_conformance_test.go: a stateful
 * transformer (it counts its calls per key in a connected store) over the table tv-words, used
 * three ways. tv-out: unmaterialized, then toStream (no old values: one call per update).
 * tv-grouped: unmaterialized, then groupBy + count (old values enabled: a second call per update
 * for the old value, null when there is none). tv-mat-out and tv-mat-grouped: materialized in
 * tv-upper (old values read from the store, one call per update).
 *
 * <p>The transformer returns {@code UPPER#n@topic/partition/offset/t<timestamp>} for a value,
 * null for an empty value, and for a null value (a deletion) {@code gone#n} if the key starts
 * with "keep", else null.
 */
public final class TransformValuesTopologies {
    public static final String WORDS = "tv-words";
    public static final String OUT = "tv-out";
    public static final String GROUPED = "tv-grouped";
    public static final String MAT_OUT = "tv-mat-out";
    public static final String MAT_GROUPED = "tv-mat-grouped";

    private TransformValuesTopologies() {}

    static final class Tagger implements ValueTransformerWithKey<String, String, String> {
        private final String storeName;
        private ProcessorContext ctx;
        private KeyValueStore<String, Long> calls;

        Tagger(String storeName) {
            this.storeName = storeName;
        }

        @Override
        public void init(ProcessorContext context) {
            ctx = context;
            calls = context.getStateStore(storeName);
        }

        @Override
        public String transform(String key, String value) {
            Long n = calls.get(key);
            long next = (n == null ? 0 : n) + 1;
            calls.put(key, next);
            if (value == null) {
                return key.startsWith("keep") ? "gone#" + next : null;
            }
            if (value.isEmpty()) {
                return null;
            }
            return value.toUpperCase() + "#" + next + "@" + ctx.topic() + "/" + ctx.partition() + "/" + ctx.offset()
                    + "/t" + ctx.timestamp();
        }

        @Override
        public void close() {}
    }

    /** The upper-cased value of a tagged value: the text before '#'. */
    static String base(String tagged) {
        return tagged.substring(0, tagged.indexOf('#'));
    }

    public static Topology build() {
        StreamsBuilder b = new StreamsBuilder();
        transformValues(b, "");
        return b.build();
    }

    /**
     * The topology on {@code prefix + WORDS} etc. (integration/conformance_transform_values_test.go).
     * Its store names are fixed: one per application.
     */
    public static void transformValues(StreamsBuilder b, String prefix) {
        String[] calls = {"tv-calls-1", "tv-calls-2", "tv-calls-3"};
        for (String s : calls) {
            b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(s), Serdes.String(), Serdes.Long()));
        }
        Produced<String, String> strings = Produced.with(Serdes.String(), Serdes.String());
        Produced<String, Long> longs = Produced.with(Serdes.String(), Serdes.Long());
        Grouped<String, String> grouped = Grouped.with(Serdes.String(), Serdes.String());
        KTable<String, String> words = b.table(prefix + WORDS, Consumed.with(Serdes.String(), Serdes.String()));

        words.transformValues(() -> new Tagger(calls[0]), calls[0]).toStream().to(prefix + OUT, strings);

        words.transformValues(() -> new Tagger(calls[1]), calls[1])
                .groupBy((k, v) -> KeyValue.pair(base(v), k), grouped)
                .count()
                .toStream().to(prefix + GROUPED, longs);

        KTable<String, String> mat = words.transformValues(() -> new Tagger(calls[2]),
                Materialized.<String, String, KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]>>as("tv-upper")
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()),
                calls[2]);
        mat.toStream().to(prefix + MAT_OUT, strings);
        mat.groupBy((k, v) -> KeyValue.pair(base(v), k), grouped).count().toStream().to(prefix + MAT_GROUPED, longs);
    }
}
