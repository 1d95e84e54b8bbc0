/** An error's message for another error's message: its text, with its `code` when the text does not say it. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const text = error.message === '' ? error.name : error.message;
    return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
  }
  return String(error);
}
