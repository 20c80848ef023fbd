package io.eddystreams.reference;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
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

/**
 * The topology of examples/orders, for its conformance test: the tables orders (order id →
 * {"customerId","amount"}) and customers (customer id → {"name","region"}) are parsed by a
 * materialized transformValues (invalid rows become deletions), foreign-key joined on the order's
 * customer id into orders-with-customer ({"customerId","amount","customerName","region"}, written
 * as Go's encoding/json writes it), and re-grouped by region into the revenue per region
 * (revenue-by-region, String → Long).
 */
public final class OrdersTopologies {
    public static final String ORDERS = "orders";
    public static final String CUSTOMERS = "customers";
    public static final String ENRICHED = "orders-with-customer";
    public static final String REVENUE = "revenue-by-region";

    private OrdersTopologies() {}

    /** Parses rows into canonical JSON text, null (a deletion) for an invalid row. */
    static final class Rows implements ValueTransformerWithKey<String, String, String> {
        private final boolean orders;

        Rows(boolean orders) {
            this.orders = orders;
        }

        @Override
        public void init(ProcessorContext context) {}

        @Override
        public String transform(String key, String value) {
            JsonNode o = Json.object(value);
            if (o == null) {
                return null;
            }
            if (orders) {
                String customer = Json.string(o, "customerId");
                if (customer == null || customer.isEmpty() || !Json.isLong(o, "amount")) {
                    return null;
                }
                return GoJson.object().field("customerId", customer).field("amount", Json.longValue(o, "amount")).end();
            }
            String name = Json.string(o, "name");
            String region = Json.string(o, "region");
            if (name == null || region == null || region.isEmpty()) {
                return null;
            }
            return GoJson.object().field("name", name).field("region", region).end();
        }

        @Override
        public void close() {}
    }

    static Materialized<String, String, KeyValueStore<Bytes, byte[]>> store(String name) {
        return Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(name)
                .withKeySerde(Serdes.String()).withValueSerde(Serdes.String());
    }

    public static Topology build() {
        StreamsBuilder b = new StreamsBuilder();
        Consumed<String, String> strings = Consumed.with(Serdes.String(), Serdes.String());
        KTable<String, String> orders = b.table(ORDERS, strings, store("orders-raw"))
                .transformValues(() -> new Rows(true), store("orders"));
        KTable<String, String> customers = b.table(CUSTOMERS, strings, store("customers-raw"))
                .transformValues(() -> new Rows(false), store("customers"));
        KTable<String, String> enriched = orders.join(customers,
                o -> Json.string(Json.object(o), "customerId"),
                (o, c) -> {
                    JsonNode order = Json.object(o);
                    JsonNode customer = Json.object(c);
                    return GoJson.object()
                            .field("customerId", Json.string(order, "customerId"))
                            .field("amount", Json.longValue(order, "amount"))
                            .field("customerName", Json.string(customer, "name"))
                            .field("region", Json.string(customer, "region"))
                            .end();
                });
        enriched.toStream().to(ENRICHED, Produced.with(Serdes.String(), Serdes.String()));
        enriched.groupBy((k, v) -> {
                    JsonNode e = Json.object(v);
                    return KeyValue.pair(Json.string(e, "region"), Json.longValue(e, "amount"));
                }, Grouped.with(Serdes.String(), Serdes.Long()))
                .reduce(Long::sum, (sum, v) -> sum - v,
                        Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("revenue-by-region")
                                .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
                .toStream().to(REVENUE, Produced.with(Serdes.String(), Serdes.Long()));
        return b.build();
    }
}
