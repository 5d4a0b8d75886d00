// The API's answers and errors. Every error is RFC 7807 problem details whose `detail` is a
// sentence meant for a person, so that is what the page shows.

export async function request(path, options = {}) {
  const response = await fetch(path, options);
  const body = (response.headers.get('content-type') ?? '').includes('json') ? await response.json() : await response.text();
  if (!response.ok) throw new Error(body?.detail ?? body?.title ?? `${response.status} ${response.statusText}`);
  return body;
}

export const byTestId = id => document.querySelector(`[data-testid="${id}"]`);

export function showError(element, error) {
  element.textContent = error?.message ?? '';
  element.hidden = !error;
}

export const percent = (fraction, digits = 1) => fraction == null ? '–' : `${(100 * fraction).toFixed(digits)}%`;
