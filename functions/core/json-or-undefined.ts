/** The JSON value `text` holds; undefined when it holds none (empty, or not JSON), for a schema to refuse. */
export function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
