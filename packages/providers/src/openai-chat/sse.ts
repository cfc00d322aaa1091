/**
 * Server-sent events as Chat Completions servers write them: `data:` lines joined per event, events
 * split by a blank line, `:` comments (keep-alives) and other fields ignored. CRLF and LF are both
 * accepted, and chunk boundaries may fall anywhere, even inside a UTF-8 character.
 */
export async function* sseData(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  for await (const chunk of bytes) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (data.length > 0) yield data.join('\n');
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
      nl = buffer.indexOf('\n');
    }
  }
  buffer += decoder.decode();
  const last = buffer.replace(/\r$/, '');
  if (last.startsWith('data:')) data.push(last.slice(5).replace(/^ /, ''));
  // A server that closes without the final blank line still meant its last event.
  if (data.length > 0) yield data.join('\n');
}
