package io.eddystreams.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class GoJsonTest {
    private static String str(String s) {
        StringBuilder sb = new StringBuilder();
        GoJson.appendString(sb, s);
        return sb.toString();
    }

    @Test
    void escapesLikeEncodingJson() {
        // expectations are what Go's json.Marshal produces for the same strings
        assertEquals("\"plain\"", str("plain"));
        assertEquals("\"\\\"\\\\/\"", str("\"\\/"));
        assertEquals("\"\\b\\f\\n\\r\\t\"", str("\b\f\n\r\t"));
        assertEquals("\"\\u0000\\u0001\\u001f\u007f\"", str("\u0000\u0001\u001f\u007f"));
        assertEquals("\"\\u003c\\u003e\\u0026\"", str("<>&"));
        assertEquals("\"\\u2028\\u2029\"", str("\u2028\u2029"));
        assertEquals("\"é中😀\"", str("é中😀"));
        assertEquals("\"\uFFFDx\uFFFD\"", str("\uD800x\uDC00"));
    }

    @Test
    void objectFieldsInOrderWithoutWhitespace() {
        assertEquals("{\"a\":\"x\",\"b\":-12,\"c\":null}",
                GoJson.object().field("a", "x").field("b", -12).field("c", (String) null).end());
        assertEquals("{}", GoJson.object().end());
    }
}
