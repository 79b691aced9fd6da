// Write semantics @firestore-emulator/server 0.3.15 gets wrong, fixed around its writeV1Document so
// code under test sees what production Firestore does:
//
// - a Write with no update mask (the client's `set()` without merge) REPLACES the document; the
//   emulator merged it into the existing fields, so a field left out survived;
// - a field path in the update mask with no value in the Write (`update({"f": DELETE_FIELD})`,
//   `set(..., merge=True)` with DELETE_FIELD) DELETES that field; the emulator kept it.
//
// Everything else (preconditions, transforms, events) is the emulator's own behaviour.

// "a.`b.c`.d" -> ["a", "b.c", "d"] (Firestore field path syntax: backticks quote a segment).
export function parseFieldPath(path) {
  const segments = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < path.length; i += 1) {
    const ch = path[i];
    if (quoted && ch === "\\" && i + 1 < path.length) {
      current += path[i + 1];
      i += 1;
    } else if (ch === "`") {
      quoted = !quoted;
    } else if (ch === "." && !quoted) {
      segments.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  segments.push(current);
  return segments;
}

// Whether the Write's fields (a Map of name -> v1 Value) hold a value at `segments`.
function presentIn(fields, segments) {
  let current = fields;
  for (let i = 0; i < segments.length; i += 1) {
    if (!current?.has(segments[i])) return false;
    if (i === segments.length - 1) return true;
    const value = current.get(segments[i]);
    if (!value?.has_map_value) return false;
    current = value.map_value.fields;
  }
  return false;
}

// A copy of a document's fields without the field at `segments` (nested maps rebuilt).
function removePath(fields, segments) {
  const [head, ...rest] = segments;
  if (!(head in fields)) return fields;
  const copy = { ...fields };
  if (rest.length === 0) {
    delete copy[head];
    return copy;
  }
  const child = fields[head];
  if (child?.type !== "map_value") return fields;
  const inner = removePath(child.value, rest);
  if (inner === child.value) return fields;
  copy[head] = new child.constructor(inner);
  return copy;
}

export function applyWriteFixes(state) {
  const original = state.writeV1Document.bind(state);
  state.writeV1Document = (date, write) => {
    if (!write.has_update) return original(date, write);
    const document = state.getDocument(write.update.name);
    const mustNotExist =
      write.has_current_document &&
      write.current_document.has_exists &&
      write.current_document.exists === false;
    const paths = write.has_update_mask ? write.update_mask.field_paths : null;
    const saved = document.fields;
    const replace = paths === null && document.metadata.hasExist && !mustNotExist;
    if (replace) document.fields = {}; // replace, not merge
    let result;
    try {
      result = original(date, write);
    } catch (err) {
      if (replace) document.fields = saved;
      throw err;
    }
    if (paths?.length && document.metadata.hasExist) {
      let fields = document.fields;
      for (const path of paths) {
        const segments = parseFieldPath(path);
        if (!presentIn(write.update.fields, segments)) fields = removePath(fields, segments);
      }
      if (fields !== document.fields) {
        document.fields = fields;
        // One more change notification so listeners (and the bridge) see the final fields.
        document.emitter.emit("update-document", { document });
      }
    }
    return result;
  };
}
