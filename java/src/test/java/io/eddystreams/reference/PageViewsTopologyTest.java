package io.eddystreams.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

class PageViewsTopologyTest {

    /** One output row, decoded: page, window start, window end, count, record timestamp. */
    record Row(String page, long start, long end, long count, long ts) {}

    static String view(String page, String user, long ts) {
        return "{\"page\":\"" + page + "\",\"user\":\"" + user + "\",\"ts\":" + ts + "}";
    }

    private static TestInputTopic<String, String> in(TopologyTestDriver d) {
        return d.createInputTopic(Topologies.PAGE_VIEWS, Serdes.String().serializer(), Serdes.String().serializer());
    }

    private static List<Row> rows(TopologyTestDriver d) {
        TestOutputTopic<Windowed<String>, Long> out = d.createOutputTopic(Topologies.PAGE_VIEW_COUNTS,
                WindowedSerdes.timeWindowedSerdeFrom(String.class, 60_000L).deserializer(),
                Serdes.Long().deserializer());
        return out.readRecordsToList().stream()
                .map(r -> new Row(r.key().key(), r.key().window().start(), r.key().window().end(), r.value(),
                        r.timestamp()))
                .toList();
    }

    @Test
    void tumblingWindowBoundariesAreStartInclusiveEndExclusive() {
        try (TopologyTestDriver d = Drivers.driver(Topologies.pageviews(), "pv-bounds")) {
            TestInputTopic<String, String> in = in(d);
            // the record timestamp is ignored: event time comes from the JSON "ts"
            in.pipeInput("u1", view("/home", "u1", 1_700_000_000_000L), 5L);   // window [..980_000, ..040_000)
            in.pipeInput("u2", view("/home", "u2", 1_700_000_039_999L), 5L);   // same window (last ms)
            in.pipeInput("u1", view("/home", "u1", 1_700_000_040_000L), 5L);   // next window starts here
            in.pipeInput("u3", view("/cart", "u3", 1_700_000_040_001L), 5L);
            assertEquals(List.of(
                    new Row("/home", 1_699_999_980_000L, 1_700_000_040_000L, 1, 1_700_000_000_000L),
                    new Row("/home", 1_699_999_980_000L, 1_700_000_040_000L, 2, 1_700_000_039_999L),
                    new Row("/home", 1_700_000_040_000L, 1_700_000_100_000L, 1, 1_700_000_040_000L),
                    new Row("/cart", 1_700_000_040_000L, 1_700_000_100_000L, 1, 1_700_000_040_001L)),
                    rows(d));
        }
    }

    @Test
    void outOfOrderWithinGraceCountedLateBeyondGraceDropped() {
        try (TopologyTestDriver d = Drivers.driver(Topologies.pageviews(), "pv-grace")) {
            TestInputTopic<String, String> in = in(d);
            in.pipeInput("u1", view("/home", "u1", 59_000L), 0L);      // [0,60000) -> 1
            in.pipeInput("u1", view("/home", "u1", 69_999L), 0L);      // [60000,120000) -> 1, stream time 69999
            in.pipeInput("u2", view("/home", "u2", 1_000L), 0L);       // end 60000 > 69999-10000: counted -> 2
            in.pipeInput("u1", view("/about", "u1", 70_000L), 0L);     // stream time 70000
            in.pipeInput("u3", view("/home", "u3", 59_999L), 0L);      // end 60000 <= 70000-10000: dropped
            in.pipeInput("u3", view("/home", "u3", 60_000L), 0L);      // window [60000,..) still open -> 2
            assertEquals(List.of(
                    new Row("/home", 0L, 60_000L, 1, 59_000L),
                    new Row("/home", 60_000L, 120_000L, 1, 69_999L),
                    // out-of-order update keeps the max timestamp seen in the window
                    new Row("/home", 0L, 60_000L, 2, 59_000L),
                    new Row("/about", 60_000L, 120_000L, 1, 70_000L),
                    new Row("/home", 60_000L, 120_000L, 2, 69_999L)),
                    rows(d));
            double dropped = d.metrics().entrySet().stream()
                    .filter(e -> e.getKey().name().equals("dropped-records-total")
                            && e.getKey().group().equals("stream-task-metrics"))
                    .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                    .sum();
            assertEquals(1.0, dropped, "the late record is counted in dropped-records-total");
        }
    }

    @Test
    void invalidRecordsAreSkipped() {
        try (TopologyTestDriver d = Drivers.driver(Topologies.pageviews(), "pv-invalid")) {
            TestInputTopic<String, String> in = in(d);
            in.pipeInput("u1", "not json", 1_000L);
            in.pipeInput("u1", "{\"page\":\"/home\",\"user\":\"u1\"}", 1_000L);             // no ts
            in.pipeInput("u1", "{\"page\":\"/home\",\"user\":\"u1\",\"ts\":\"5\"}", 1_000L); // ts not a number
            in.pipeInput("u1", "{\"page\":\"/home\",\"user\":\"u1\",\"ts\":5.5}", 1_000L);   // ts not an integer
            in.pipeInput("u1", "{\"user\":\"u1\",\"ts\":5}", 1_000L);                         // no page
            in.pipeInput("u1", "{\"page\":\"/home\",\"ts\":-5}", 1_000L);                    // negative ts
            in.pipeInput("u1", "{\"page\":\"/home\",\"ts\":5} {}", 1_000L);                  // trailing tokens
            in.pipeInput("u1", null, 1_000L);
            in.pipeInput("u1", view("/ok", "u1", 5L), 1_000L);
            assertEquals(List.of(new Row("/ok", 0L, 60_000L, 1, 5L)), rows(d));
        }
    }

    @Test
    void windowedKeyBytesAreKeyThenBigEndianStart() {
        try (TopologyTestDriver d = Drivers.driver(Topologies.pageviews(), "pv-bytes")) {
            in(d).pipeInput("u1", view("/home", "u1", 1_700_000_000_000L), 0L);
            TestOutputTopic<byte[], byte[]> raw = d.createOutputTopic(Topologies.PAGE_VIEW_COUNTS,
                    Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
            TestRecord<byte[], byte[]> r = raw.readRecord();
            byte[] page = "/home".getBytes(StandardCharsets.UTF_8);
            byte[] expectedKey = ByteBuffer.allocate(page.length + 8).put(page).putLong(1_699_999_980_000L).array();
            assertArrayEquals(expectedKey, r.key());
            assertArrayEquals(ByteBuffer.allocate(8).putLong(1L).array(), r.value());
            assertTrue(raw.isEmpty());
        }
    }
}
