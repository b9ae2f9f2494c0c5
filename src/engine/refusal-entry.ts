/**
 * One refusal code of the catalogue (src/kit/refusals/): what it means (for the docs) and the words
 * its data becomes. The words are the same in text, Markdown and JSON (`{ code, message, detail?,
 * node? }`); only the layout differs. Here, below the kit, so the engine builds its own refusals
 * from the same entries.
 */
export interface RefusalWords {
  message: string;
  detail?: string;
  node?: string;
}

export interface RefusalEntry<D> {
  /** One line for the catalogue: when this code is returned, in general. */
  meaning: string;
  words(data: D): RefusalWords;
}

/** Declare a code: the type of `words`' argument is the data `refuse(code, data)` takes. */
export function entry<D>(meaning: string, words: (data: D) => RefusalWords): RefusalEntry<D> {
  return { meaning, words };
}

/** For `node?`: present only when known, so the JSON stays `{ code, message, detail?, node? }`. */
export function onNode(node: string | null | undefined): { node?: string } {
  return node ? { node } : {};
}
