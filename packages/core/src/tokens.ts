/** Rough token count (about four characters a token), for budgets and chunk sizes. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);
