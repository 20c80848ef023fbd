package io.eddystreams.reference;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Produced;

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
 */
public final class FkJoinTopologies {
    public static final String FK_ORDERS = "fk-orders";
    public static final String FK_PRODUCTS = "fk-products";
    public static final String FK_JOIN = "fk-join";
    public static final String FK_LEFT_JOIN = "fk-leftjoin";

    private FkJoinTopologies() {}

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
