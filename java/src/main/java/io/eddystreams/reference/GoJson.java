package io.eddystreams.reference;

import java.nio.charset.StandardCharsets;

/**
 * A tiny, deterministic JSON writer whose output is byte-identical to Go's
 * {@code encoding/json} Marshal (HTML escaping on, the default) for the values the
 * reference topologies emit: objects with fields in insertion order, strings and
 * integers, no whitespace.
 *
 * <p>String escaping follows Go's {@code appendString}: {@code "} and {@code \} are
 * backslash-escaped; {@code \b \f \n \r \t} use their short forms; every other byte
 * below 0x20 and the HTML-sensitive {@code < > &} become backslash-u00XX with lower-case
 * hex; U+2028 and U+2029 become backslash-u2028/backslash-u2029; DEL (0x7f) and all other
 * non-ASCII characters are written raw as UTF-8. A lone UTF-16 surrogate (which Go's
 * decoder would already have replaced) is written as U+FFFD.
 */
public final class GoJson {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final StringBuilder sb = new StringBuilder(128);
    private boolean needComma;

    private GoJson() {}

    /** Starts a JSON object. */
    public static GoJson object() {
        GoJson w = new GoJson();
        w.sb.append('{');
        return w;
    }

    public GoJson field(String name, String value) {
        key(name);
        if (value == null) {
            sb.append("null");
        } else {
            appendString(sb, value);
        }
        return this;
    }

    public GoJson field(String name, long value) {
        key(name);
        sb.append(value);
        return this;
    }

    /** Closes the object and returns its text. */
    public String end() {
        sb.append('}');
        return sb.toString();
    }

    /** Closes the object and returns its UTF-8 bytes. */
    public byte[] endBytes() {
        return end().getBytes(StandardCharsets.UTF_8);
    }

    private void key(String name) {
        if (needComma) {
            sb.append(',');
        }
        needComma = true;
        appendString(sb, name);
        sb.append(':');
    }

    /** Appends {@code s} as a quoted JSON string, escaped exactly like Go's encoding/json. */
    public static void appendString(StringBuilder out, String s) {
        out.append('"');
        final int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                switch (c) {
                    case '"':
                        out.append("\\\"");
                        break;
                    case '\\':
                        out.append("\\\\");
                        break;
                    case '\b':
                        out.append("\\b");
                        break;
                    case '\f':
                        out.append("\\f");
                        break;
                    case '\n':
                        out.append("\\n");
                        break;
                    case '\r':
                        out.append("\\r");
                        break;
                    case '\t':
                        out.append("\\t");
                        break;
                    case '<':
                    case '>':
                    case '&':
                        unicodeEscape(out, c);
                        break;
                    default:
                        if (c < 0x20) {
                            unicodeEscape(out, c);
                        } else {
                            out.append(c);
                        }
                }
            } else if (c == '\u2028' || c == '\u2029') {
                unicodeEscape(out, c);
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    out.append(c).append(s.charAt(i + 1));
                    i++;
                } else {
                    out.append('\uFFFD');
                }
            } else if (Character.isLowSurrogate(c)) {
                out.append('\uFFFD');
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }

    private static void unicodeEscape(StringBuilder out, char c) {
        out.append("\\u")
                .append(HEX[(c >> 12) & 0xF])
                .append(HEX[(c >> 8) & 0xF])
                .append(HEX[(c >> 4) & 0xF])
                .append(HEX[c & 0xF]);
    }
}
