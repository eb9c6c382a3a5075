import { isMap, isNode, isPair, isScalar, type Document, type LineCounter } from 'yaml';

/** A path into the configuration, as a list of keys and array indexes. */
export type ConfigPath = readonly (string | number)[];

/** Writes a path the way operators read it: `applications[0].public_key`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  }

  return out === '' ? '(top level)' : out;
}

/** Turns an Ajv instance path (`/applications/0/public_key`) into a path. */
export function fromPointer(pointer: string): (string | number)[] {
  if (pointer === '') {
    return [];
  }

  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/**
 * Finds the 1-based line of a path in the YAML document: the line of the value, or of the key when
 * `keyOf` names a key of the map at `path` (for unknown keys). Falls back to the nearest ancestor that
 * exists in the file (a default-filled value has no line of its own).
 */
export function lineOf(
  doc: Document,
  counter: LineCounter,
  path: ConfigPath,
  keyOf?: string,
): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (!isNode(node)) {
      continue;
    }
    if (keyOf !== undefined && depth === path.length && isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === keyOf);
      if (pair !== undefined && isScalar(pair.key) && pair.key.range) {
        return counter.linePos(pair.key.range[0]).line;
      }
    }
    if (node.range) {
      return counter.linePos(node.range[0]).line;
    }
  }

  return undefined;
}
