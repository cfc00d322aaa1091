/**
 * Splits a byte stream of concatenated JSON objects with no delimiter (AVR's LLM stream writes one
 * `{"type":"text",…}` per write, and TCP may merge or split writes) into the objects' texts, by
 * brace depth outside strings.
 */
export async function* jsonObjects(
  bytes: AsyncIterable<Uint8Array>,
): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder();
  let text = '';
  let start = -1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let i = 0;
  for await (const chunk of bytes) {
    text += decoder.decode(chunk, { stream: true });
    for (; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = depth > 0;
      else if (c === '{') {
        if (depth === 0) start = i;
        depth++;
      } else if (c === '}' && depth > 0) {
        depth--;
        if (depth === 0) {
          yield text.slice(start, i + 1);
          text = text.slice(i + 1);
          i = -1;
          start = -1;
        }
      }
    }
    if (depth === 0) {
      // Whitespace or stray text between objects is dropped.
      text = '';
      i = 0;
    }
  }
}
