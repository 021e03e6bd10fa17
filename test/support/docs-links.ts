/**
 * Finds the repository's references to its own documentation and checks that each resolves: a cited
 * `docs/….md` file exists, and a `#anchor` names one of its headings (GitHub's slugs, by github-slugger,
 * the library GitHub's own rendering is matched by). Markdown links between the repository's files are
 * checked the same way. The old citation forms (`docs §3.1`, the protocol notes that used to live beside
 * the repository) are reported wherever they remain.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import GithubSlugger from 'github-slugger';

export interface Reference {
  /** Repository-relative path of the file that cites, and the 1-based line. */
  file: string;
  line: number;
  /** The reference as written, e.g. `docs/protocol/mdm.md#check-in-messages`. */
  text: string;
  /** The absolute path it points at, and the anchor (without `#`) if any. */
  target: string;
  anchor?: string;
}

/** Folders that are not the repository's own text (installed, generated or run-time data). */
const IGNORED_DIRS = new Set(['node_modules', '.git', '.data', '.sst', '.artifacts', 'dist', 'coverage']);
const TEXT_EXTENSIONS = new Set([
  '.ts',
  '.tsx',
  '.js',
  '.mjs',
  '.cjs',
  '.md',
  '.yaml',
  '.yml',
  '.sh',
  '.graphql',
]);
const IGNORED_FILES = new Set(['pnpm-lock.yaml']);

/** `docs/….md` not preceded by a path or URL character (`https://github.com/x/y/docs/…` is someone else's). */
const DOCS_PATH = /(?<![\w./@-])docs\/[\w./-]*?\.md(?:#[\w-]+)?/g;
/** Markdown links `[text](target)` and reference definitions `[name]: target`. */
const MD_LINK = /\]\(([^()\s]+)\)|^\s*\[[^\]]+\]:\s*(\S+)/gm;
/** Citation forms that point outside the repository or at section numbers nobody can follow. */
const STALE_FORMS: [RegExp, string][] = [
  [/docs\s*§/g, 'a "docs §N" citation: cite docs/<file>.md#<anchor>'],
  [/apple-account-driven-enrollment\.md/g, 'the old protocol notes: cite docs/protocol/<file>.md#<anchor>'],
  [/\.\.\/shared\/|shared\/docs\//g, 'a path outside the repository'],
];

/** The repository's own text files, as repository-relative paths. */
export function repositoryTextFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!IGNORED_DIRS.has(name)) walk(path);
      } else if (
        (TEXT_EXTENSIONS.has(extname(name)) || dir.endsWith(`${sep}.ci`)) &&
        !IGNORED_FILES.has(name) &&
        !name.includes('.generated.')
      ) {
        out.push(relative(root, path).split(sep).join('/'));
      }
    }
  };
  walk(root);
  return out;
}

/** Every documentation reference in one file's text. */
export function referencesIn(root: string, file: string, text: string): Reference[] {
  const refs: Reference[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  for (const m of text.matchAll(DOCS_PATH)) {
    const [path, anchor] = m[0].split('#') as [string, string | undefined];
    refs.push({ file, line: lineOf(m.index), text: m[0], target: resolve(root, path), anchor });
  }
  if (file.endsWith('.md')) {
    for (const m of text.matchAll(MD_LINK)) {
      const link = m[1] ?? m[2]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:, …
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path ? resolve(root, dirname(file), decodeURIComponent(path)) : resolve(root, file);
      refs.push({ file, line: lineOf(m.index), text: link, target, anchor: anchor || undefined });
    }
  }
  return refs;
}

/** Stale citation forms in one file's text, as messages. */
export function staleFormsIn(file: string, text: string): string[] {
  const problems: string[] = [];
  for (const [pattern, why] of STALE_FORMS) {
    for (const m of text.matchAll(pattern)) {
      const line = text.slice(0, m.index).split('\n').length;
      problems.push(`${file}:${line}: "${m[0]}" is ${why}`);
    }
  }
  return problems;
}

/** The anchors GitHub gives a Markdown file: one per heading (code blocks excluded), plus explicit ids. */
export function anchorsOf(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const fenceMark = /^\s*(```+|~~~+)/.exec(line)?.[1];
    if (fenceMark) {
      if (!fence) fence = fenceMark[0];
      else if (fenceMark[0] === fence) fence = undefined;
      continue;
    }
    if (fence) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) anchors.add(slugger.slug(headingText(heading)));
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

/** What GitHub slugs: the heading's text, with links and images reduced to their text. */
function headingText(heading: string): string {
  return heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
}

/** Problems with one reference, or undefined when it resolves. */
export function checkReference(
  root: string,
  ref: Reference,
  anchorCache = new Map<string, Set<string>>(),
): string | undefined {
  const where = `${ref.file}:${ref.line}: ${ref.text}`;
  if (!ref.target.startsWith(resolve(root) + sep) && ref.target !== resolve(root))
    return `${where} points outside the repository`;
  if (!existsSync(ref.target)) return `${where}: no such file ${relative(root, ref.target)}`;
  if (!ref.anchor) return undefined;
  if (!ref.target.endsWith('.md')) return `${where}: an anchor on a file that is not Markdown`;
  let anchors = anchorCache.get(ref.target);
  if (!anchors) {
    anchors = anchorsOf(readFileSync(ref.target, 'utf8'));
    anchorCache.set(ref.target, anchors);
  }
  return anchors.has(ref.anchor) ? undefined : `${where}: no heading with anchor #${ref.anchor}`;
}
