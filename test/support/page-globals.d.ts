// Browser tests hand functions to page.evaluate that run inside the page. The tests' tsconfig has
// no DOM library (it would clash with Node's fetch types), so the few page globals they touch are
// declared here, loosely.
interface PageElement {
  scrollWidth: number;
  clientWidth: number;
  textContent: string | null;
  tagName: string;
  id: string;
  getAttribute(name: string): string | null;
}

interface PageDocument {
  cookie: string;
  title: string;
  visibilityState: string;
  documentElement: PageElement;
  activeElement: PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  addEventListener(type: string, listener: (event: { violatedDirective: string; blockedURI: string }) => void): void;
}

declare const document: PageDocument;
declare const window: Record<string, unknown>;
declare const localStorage: Record<string, string>;
declare const location: { hash: string; href: string; pathname: string; search: string };
declare const navigator: { clipboard: { readText(): Promise<string>; writeText(text: string): Promise<void> } };
