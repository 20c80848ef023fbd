package io.eddystreams.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

class EnrichmentTopologyTest {

    static String order(String id, String customer, long amount) {
        return "{\"orderId\":\"" + id + "\",\"customerId\":\"" + customer + "\",\"amount\":" + amount + "}";
    }

    static String customer(String name, String region) {
        return GoJson.object().field("name", name).field("region", region).end();
    }

    @Test
    void streamTableInnerJoin() {
        try (TopologyTestDriver d = Drivers.driver(Topologies.enrichment(), "enrich-test")) {
            TestInputTopic<String, String> orders = d.createInputTopic(Topologies.ORDERS,
                    Serdes.String().serializer(), Serdes.String().serializer());
            TestInputTopic<String, String> customers = d.createInputTopic(Topologies.CUSTOMERS,
                    Serdes.String().serializer(), Serdes.String().serializer());
            TestOutputTopic<String, String> out = d.createOutputTopic(Topologies.ENRICHED_ORDERS,
                    Serdes.String().deserializer(), Serdes.String().deserializer());

            orders.pipeInput("c1", order("o1", "c1", 1250), 1_000L);          // no customer yet: nothing
            customers.pipeInput("c1", customer("Ann", "EU"), 2_000L);        // table update: no output
            orders.pipeInput("c1", order("o2", "c1", 1250), 1_500L);          // joins; ts = order ts
            orders.pipeInput("c2", order("o3", "c2", 99), 3_000L);            // missing customer: nothing
            customers.pipeInput("c1", customer("Bob", "US"), 4_000L);
            orders.pipeInput("c1", order("o4", "c1", -7), 5_000L);
            customers.pipeInput("c1", null, 6_000L);                          // tombstone deletes the row
            orders.pipeInput("c1", order("o5", "c1", 1), 7_000L);             // nothing
            orders.pipeInput("c1", "{\"orderId\":\"o6\",\"customerId\":\"c1\",\"amount\":12.5}", 8_000L); // invalid
            orders.pipeInput("c1", null, 9_000L);                             // null value ignored

            List<TestRecord<String, String>> got = out.readRecordsToList();
            assertEquals(List.of(
                    KeyValue.pair("c1", "{\"orderId\":\"o2\",\"customerId\":\"c1\",\"amount\":1250,"
                            + "\"customerName\":\"Ann\",\"region\":\"EU\"}"),
                    KeyValue.pair("c1", "{\"orderId\":\"o4\",\"customerId\":\"c1\",\"amount\":-7,"
                            + "\"customerName\":\"Bob\",\"region\":\"US\"}")),
                    got.stream().map(r -> KeyValue.pair(r.key(), r.value())).toList());
            assertEquals(List.of(1_500L, 5_000L), got.stream().map(TestRecord::timestamp).toList());
        }
    }

    @Test
    void outputEscapesLikeGo() {
        try (TopologyTestDriver d = Drivers.driver(Topologies.enrichment(), "enrich-escape")) {
            d.createInputTopic(Topologies.CUSTOMERS, Serdes.String().serializer(), Serdes.String().serializer())
                    .pipeInput("c9", "{\"name\":\"A<b>&\\\"q\\\" \\\\ \\u00e9\\u2028\\u0001\\n\",\"region\":\"\\ud83d\\ude00\"}");
            d.createInputTopic(Topologies.ORDERS, Serdes.String().serializer(), Serdes.String().serializer())
                    .pipeInput("c9", order("o/1", "c9", 9_007_199_254_740_993L));
            TestOutputTopic<byte[], byte[]> out = d.createOutputTopic(Topologies.ENRICHED_ORDERS,
                    Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
            String expected = "{\"orderId\":\"o/1\",\"customerId\":\"c9\",\"amount\":9007199254740993,"
                    + "\"customerName\":\"A\\u003cb\\u003e\\u0026\\\"q\\\" \\\\ \u00e9\\u2028\\u0001\\n\","
                    + "\"region\":\"\ud83d\ude00\"}";
            assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), out.readValue());
        }
    }
}
