/**
 * The GraphQL explorer: GraphiQL (from npm, bundled by src/build.ts) with a field for an API key and
 * the example operations of graphql/operations/ as starting points.
 *
 * The key is kept in this tab's sessionStorage only (gone when the tab closes; never in
 * localStorage, where GraphiQL keeps queries and tabs) and sent as `Authorization: Bearer …` to this
 * page's own URL, the GraphQL endpoint. GraphiQL's headers editor is off so that the key has one
 * place to go.
 */
import 'graphiql/style.css';
import './explorer.css';
import operations from 'ade:operations';
import { type GraphiQLPlugin, useGraphiQL, useGraphiQLActions } from '@graphiql/react';
import { GraphiQL, type GraphiQLProps } from 'graphiql';
import { type OperationDefinitionNode, parse, type TypeNode } from 'graphql';
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { setUpMonacoWorkers } from './workers.ts';

const KEY_ITEM = 'ade-cloud:graphql-explorer:api-key';

const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_ITEM),
  set: (key: string) => sessionStorage.setItem(KEY_ITEM, key),
  forget: () => sessionStorage.removeItem(KEY_ITEM),
};

/** What the last answer of the API said about the key: nothing, or its refusal code. */
type Refusal = { code: string; message: string } | null;

type Fetcher = GraphiQLProps['fetcher'];

/** POSTs to this page's URL as JSON (so Apollo's CSRF prevention lets it through) with the key. */
function createFetcher(onAnswer: (refusal: Refusal) => void): Fetcher {
  return async (params) => {
    const key = apiKey.get();
    const response = await fetch(window.location.pathname, {
      method: 'POST',
      credentials: 'omit',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
      body: JSON.stringify(params),
    });
    const body = await response.json();
    const error = response.status === 401 || response.status === 403 ? body?.errors?.[0] : undefined;
    onAnswer(
      error ? { code: String(error.extensions?.code ?? response.status), message: error.message } : null,
    );
    return body;
  };
}

/** `{ "parentId": "", … }` for an operation's variables, so an example shows what it needs. */
function variablesTemplate(document: string): string {
  let operation: OperationDefinitionNode | undefined;
  try {
    operation = parse(document).definitions.find(
      (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
    );
  } catch {
    return '';
  }
  const variables = operation?.variableDefinitions ?? [];
  if (variables.length === 0) return '';
  const placeholder = (type: TypeNode): unknown => {
    if (type.kind === 'NonNullType') return placeholder(type.type);
    if (type.kind === 'ListType') return [];
    if (type.name.value === 'Int' || type.name.value === 'Float') return 0;
    if (type.name.value === 'Boolean') return false;
    if (type.name.value === 'ID' || type.name.value === 'String') return '';
    return null;
  };
  return JSON.stringify(
    Object.fromEntries(variables.map((v) => [v.variable.name.value, placeholder(v.type)])),
    null,
    2,
  );
}

/** The comment lines an example file starts with. */
function description(document: string): string {
  const lines: string[] = [];
  for (const line of document.split('\n')) {
    if (!line.startsWith('#')) break;
    lines.push(line.replace(/^#\s?/, ''));
  }
  return lines.join(' ');
}

function ExamplesPanel() {
  const { addTab } = useGraphiQLActions();
  const queryEditor = useGraphiQL((state) => state.queryEditor);
  const variableEditor = useGraphiQL((state) => state.variableEditor);
  const open = (document: string) => {
    addTab();
    queryEditor?.setValue(document);
    variableEditor?.setValue(variablesTemplate(document));
  };
  return (
    <section className="ade-examples" aria-label="Example operations">
      <div className="graphiql-doc-explorer-title">Examples</div>
      <p>The operations of graphql/operations/, each opened in a new tab.</p>
      <ul>
        {operations.map((operation) => (
          <li key={operation.name}>
            <button type="button" onClick={() => open(operation.document)}>
              {operation.name}
            </button>
            <span>{description(operation.document)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ExamplesIcon() {
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" strokeWidth="1.5">
      <title>Examples</title>
      <path d="M5 4h10l4 4v12H5z M15 4v4h4 M8 12h8 M8 16h8" />
    </svg>
  );
}

const examplesPlugin: GraphiQLPlugin = { title: 'Examples', icon: ExamplesIcon, content: ExamplesPanel };

function KeyBar(props: { hasKey: boolean; refusal: Refusal; onUse(key: string): void; onForget(): void }) {
  const [draft, setDraft] = useState('');
  const status = props.refusal
    ? `The API refused the request: ${props.refusal.code} (${props.refusal.message})`
    : props.hasKey
      ? 'Key kept in this tab only (sessionStorage), sent as Authorization: Bearer.'
      : 'No key yet: the API answers UNAUTHENTICATED.';
  return (
    <form
      className="ade-bar"
      onSubmit={(event) => {
        event.preventDefault();
        if (!draft.trim()) return;
        props.onUse(draft.trim());
        setDraft('');
      }}
    >
      <strong>ADE Cloud GraphQL</strong>
      <label htmlFor="ade-api-key">API key</label>
      <input
        id="ade-api-key"
        type="password"
        autoComplete="off"
        spellCheck={false}
        placeholder={props.hasKey ? 'A key is set for this tab' : 'Paste an API key'}
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
      />
      <button type="submit">Use key</button>
      {props.hasKey ? (
        <button type="button" onClick={props.onForget}>
          Forget key
        </button>
      ) : null}
      <output className={props.refusal ? 'ade-refused' : undefined}>{status}</output>
    </form>
  );
}

function Explorer() {
  const [hasKey, setHasKey] = useState(() => apiKey.get() !== null);
  const [refusal, setRefusal] = useState<Refusal>(null);
  // A new key remounts GraphiQL, which introspects the schema again with it.
  const [generation, setGeneration] = useState(0);
  const fetcher = useMemo(() => createFetcher(setRefusal), []);
  const changeKey = (key: string | null) => {
    if (key === null) apiKey.forget();
    else apiKey.set(key);
    setHasKey(key !== null);
    setRefusal(null);
    setGeneration((g) => g + 1);
  };
  return (
    <>
      <KeyBar hasKey={hasKey} refusal={refusal} onUse={changeKey} onForget={() => changeKey(null)} />
      <GraphiQL
        key={generation}
        fetcher={fetcher}
        plugins={[examplesPlugin]}
        isHeadersEditorEnabled={false}
        shouldPersistHeaders={false}
      >
        <GraphiQL.Logo>ADE Cloud</GraphiQL.Logo>
      </GraphiQL>
    </>
  );
}

setUpMonacoWorkers();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Explorer />
  </StrictMode>,
);
