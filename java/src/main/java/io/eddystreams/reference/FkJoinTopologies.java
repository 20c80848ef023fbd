package io.eddystreams.reference;

import java.time.Duration;
import java.util.Map;
import java.util.WeakHashMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * The foreign-key table–table joins (KIP-213) of the conformance test integration/fkjoin_test.go
 * and of topologytest/fkjoin_test.go's scenarios (replayed by FkJoinTopologiesTest).
 *
 * <p>The left table fk-orders holds values {@code <product>:<text>}; the foreign key is the
 * product, none (null) for a value without {@code ':'} or with an empty product. The right table
 * fk-products holds product names. The inner join writes {@code order+product} to fk-join, the
 * left join the same to fk-leftjoin, an absent product printed as {@code null} (Java's string
 * concatenation); deletions come out as tombstones. Stores and internal topics have generated
 * names, so the topology can be added to one builder several times with different topic prefixes.
 *
 * <p>{@code fk-join-versioned}: the same joins with both tables read into versioned stores
 * ({@code fkv-orders}, {@code fkv-products}, history {@value #HISTORY_MS} ms, KIP-914): the joins
 * read their latest rows through the stores' value getters, and updates older than a key's latest
 * version (out of order) trigger nothing. {@code fk-join-versioned-left}: only fk-orders is
 * versioned ({@code fkv-orders}), fk-products a plain table. Versioned stores need names: the
 * n-th addition to a builder suffixes them with {@code -n} (n &gt; 1), as VersionedTopologies does.
 */
public final class FkJoinTopologies {
    public static final String FK_ORDERS = "fk-orders";
    public static final String FK_PRODUCTS = "fk-products";
    public static final String FK_JOIN = "fk-join";
    public static final String FK_LEFT_JOIN = "fk-leftjoin";

    /** The versioned stores of fk-join-versioned (of the first addition to a builder). */
    public static final String FKV_ORDERS_STORE = "fkv-orders";
    public static final String FKV_PRODUCTS_STORE = "fkv-products";
    /** History retention of the versioned stores, in milliseconds. */
    public static final long HISTORY_MS = 300;

    private FkJoinTopologies() {}

    /** How many times the versioned topologies were added to each builder. */
    private static final Map<StreamsBuilder, Integer> ADDED = new WeakHashMap<>();

    private static synchronized String suffix(StreamsBuilder b) {
        int n = ADDED.merge(b, 1, Integer::sum);
        return n == 1 ? "" : "-" + n;
    }

    private static KTable<String, String> versioned(StreamsBuilder b, String topic, String store) {
        return b.table(topic, Consumed.with(Serdes.String(), Serdes.String()),
                Materialized.<String, String>as(Stores.persistentVersionedKeyValueStore(store, Duration.ofMillis(HISTORY_MS)))
                        .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()));
    }

    /** fk-join-versioned: fkJoin with both tables versioned. */
    public static void fkJoinVersioned(StreamsBuilder b, String prefix) {
        String sfx = suffix(b);
        joins(versioned(b, prefix + FK_ORDERS, FKV_ORDERS_STORE + sfx),
                versioned(b, prefix + FK_PRODUCTS, FKV_PRODUCTS_STORE + sfx), prefix);
    }

    /** fk-join-versioned-left: fkJoin with the orders versioned, the products a plain table. */
    public static void fkJoinVersionedLeft(StreamsBuilder b, String prefix) {
        String sfx = suffix(b);
        joins(versioned(b, prefix + FK_ORDERS, FKV_ORDERS_STORE + sfx),
                b.table(prefix + FK_PRODUCTS, Consumed.with(Serdes.String(), Serdes.String())), prefix);
    }

    private static void joins(KTable<String, String> orders, KTable<String, String> products, String prefix) {
        Produced<String, String> out = Produced.with(Serdes.String(), Serdes.String());
        orders.join(products, FkJoinTopologies::foreignKey, FkJoinTopologies::joined).toStream().to(prefix + FK_JOIN, out);
        orders.leftJoin(products, FkJoinTopologies::foreignKey, FkJoinTopologies::joined).toStream()
                .to(prefix + FK_LEFT_JOIN, out);
    }

    /** The foreign key of an order: the text before the first ':', null if there is none or it is empty. */
    static String foreignKey(String order) {
        int i = order.indexOf(':');
        return i <= 0 ? null : order.substring(0, i);
    }

    /** The joiner: {@code order+product}, an absent product printed as {@code null}. */
    static String joined(String order, String product) {
        return order + "+" + product;
    }

    /** fk-orders joined with fk-products on the orders' foreign key: inner → fk-join, left → fk-leftjoin. */
    public static void fkJoin(StreamsBuilder b, String prefix) {
        Consumed<String, String> strings = Consumed.with(Serdes.String(), Serdes.String());
        Produced<String, String> out = Produced.with(Serdes.String(), Serdes.String());
        KTable<String, String> orders = b.table(prefix + FK_ORDERS, strings);
        KTable<String, String> products = b.table(prefix + FK_PRODUCTS, strings);
        orders.join(products, FkJoinTopologies::foreignKey, FkJoinTopologies::joined).toStream().to(prefix + FK_JOIN, out);
        orders.leftJoin(products, FkJoinTopologies::foreignKey, FkJoinTopologies::joined).toStream()
                .to(prefix + FK_LEFT_JOIN, out);
    }
}
