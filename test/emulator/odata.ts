// The OData query options the emulated routes understand: $top, $select, $filter, $skiptoken.
// Errors are thrown as ODataError and turned into 400 BadRequest by the Graph router.

export class ODataError extends Error {}

export interface EntityType {
	/** e.g. microsoft.graph.deviceComplianceUserStatus */
	name: string;
	properties: readonly string[];
}

export interface ListQuery {
	top?: number;
	select?: string[];
	filter?: (entity: Record<string, unknown>) => boolean;
	skiptoken?: string;
	/** Raw option texts, kept so a continuation can re-apply them. */
	raw: { filter?: string; select?: string };
}

const SUPPORTED = new Set(['$top', '$select', '$filter', '$skiptoken']);

/** Parses the query options of a list (list: true) or single-entity request. */
export function parseQuery(search: URLSearchParams, type: EntityType, list: boolean): ListQuery {
	const q: ListQuery = { raw: {} };
	for (const key of new Set(search.keys())) {
		if (!key.startsWith('$')) continue;
		if (!SUPPORTED.has(key) || (!list && key !== '$select')) {
			throw new ODataError(`Query option '${key}' is not supported on this request.`);
		}
	}
	const top = search.get('$top');
	if (list && top !== null) {
		if (!/^\d+$/.test(top.trim())) {
			throw new ODataError(
				`Invalid value '${top}' for $top query option found. The $top query option requires a non-negative integer value.`,
			);
		}
		q.top = Number(top.trim());
	}
	const select = search.get('$select');
	if (select !== null) {
		q.raw.select = select;
		q.select = parseSelect(select, type);
	}
	const filter = search.get('$filter');
	if (list && filter !== null) {
		q.raw.filter = filter;
		q.filter = parseFilter(filter, type);
	}
	const skiptoken = search.get('$skiptoken');
	if (list && skiptoken !== null) q.skiptoken = skiptoken;
	return q;
}

export function parseSelect(text: string, type: EntityType): string[] | undefined {
	const names = text
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean);
	if (names.length === 0 || names.includes('*')) return undefined;
	for (const n of names) requireProperty(type, n);
	return names.map((n) => canonicalProperty(type, n));
}

/** Copies only the selected properties (annotations such as @odata.type are always kept). */
export function applySelect<T extends object>(
	entity: T,
	select: string[] | undefined,
): Record<string, unknown> {
	const source = entity as Record<string, unknown>;
	if (!select) return { ...source };
	const out: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(source)) {
		if (k.startsWith('@odata.') || select.includes(k)) out[k] = v;
	}
	return out;
}

function canonicalProperty(type: EntityType, name: string): string {
	return type.properties.find((p) => p.toLowerCase() === name.toLowerCase()) ?? name;
}

function requireProperty(type: EntityType, name: string): void {
	if (!type.properties.some((p) => p.toLowerCase() === name.toLowerCase())) {
		throw new ODataError(`Could not find a property named '${name}' on type '${type.name}'.`);
	}
}

// ---- $filter: a small recursive-descent parser ----
// expr := and ('or' and)* ; and := unary ('and' unary)* ; unary := 'not' unary | primary
// primary := '(' expr ')' | fn '(' prop ',' literal ')' | prop op literal

type Token = { kind: 'ident' | 'string' | 'number' | 'punct'; text: string; value?: unknown };
type Predicate = (e: Record<string, unknown>) => boolean;

function tokenize(text: string): Token[] {
	const tokens: Token[] = [];
	let i = 0;
	while (i < text.length) {
		const c = text[i];
		if (/\s/.test(c)) {
			i++;
			continue;
		}
		if (c === '(' || c === ')' || c === ',') {
			tokens.push({ kind: 'punct', text: c });
			i++;
			continue;
		}
		if (c === "'") {
			let s = '';
			i++;
			for (;;) {
				if (i >= text.length)
					throw new ODataError(`Invalid filter clause: unterminated string literal in '${text}'.`);
				if (text[i] === "'") {
					if (text[i + 1] === "'") {
						s += "'";
						i += 2;
						continue;
					}
					i++;
					break;
				}
				s += text[i++];
			}
			tokens.push({ kind: 'string', text: s, value: s });
			continue;
		}
		const num = /^-?\d+(\.\d+)?/.exec(text.slice(i));
		if (num) {
			tokens.push({ kind: 'number', text: num[0], value: Number(num[0]) });
			i += num[0].length;
			continue;
		}
		const ident = /^[A-Za-z_@][\w.@]*/.exec(text.slice(i));
		if (ident) {
			tokens.push({ kind: 'ident', text: ident[0] });
			i += ident[0].length;
			continue;
		}
		throw new ODataError(`Invalid filter clause: unexpected character '${c}' in '${text}'.`);
	}
	return tokens;
}

export function parseFilter(text: string, type: EntityType): Predicate {
	const tokens = tokenize(text);
	let pos = 0;
	const fail = (why: string): never => {
		throw new ODataError(`Invalid filter clause: ${why} in '${text}'.`);
	};
	const peekWord = (w: string) =>
		tokens[pos]?.kind === 'ident' && tokens[pos].text.toLowerCase() === w;
	const expect = (t: string) => {
		if (tokens[pos]?.text !== t) fail(`expected '${t}'`);
		pos++;
	};
	const property = (): string => {
		const t = tokens[pos++];
		if (!t || t.kind !== 'ident') return fail('expected a property name');
		requireProperty(type, t.text);
		return canonicalProperty(type, t.text);
	};
	const literal = (): unknown => {
		const t = tokens[pos++];
		if (!t) return fail('expected a literal');
		if (t.kind === 'string' || t.kind === 'number') return t.value;
		if (t.kind === 'ident' && ['true', 'false', 'null'].includes(t.text)) return JSON.parse(t.text);
		return fail(`unexpected '${t.text}'`);
	};

	const primary = (): Predicate => {
		if (tokens[pos]?.text === '(') {
			pos++;
			const e = orExpr();
			expect(')');
			return e;
		}
		const t = tokens[pos];
		if (t?.kind === 'ident' && tokens[pos + 1]?.text === '(') {
			const fn = t.text.toLowerCase();
			if (!['contains', 'startswith', 'endswith'].includes(fn))
				fail(`unsupported function '${t.text}'`);
			pos += 2;
			const prop = property();
			expect(',');
			const value = literal();
			expect(')');
			if (typeof value !== 'string') fail(`${fn} needs a string literal`);
			const needle = (value as string).toLowerCase();
			return (e) => {
				const v = e[prop];
				if (typeof v !== 'string') return false;
				const hay = v.toLowerCase(); // Graph compares these case-insensitively
				return fn === 'contains'
					? hay.includes(needle)
					: fn === 'startswith'
						? hay.startsWith(needle)
						: hay.endsWith(needle);
			};
		}
		const prop = property();
		const opTok = tokens[pos++];
		const op = opTok?.kind === 'ident' ? opTok.text.toLowerCase() : '';
		if (!['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op))
			fail(`expected a comparison operator after '${prop}'`);
		const value = literal();
		return (e) => compare(e[prop], op, value);
	};
	const unary = (): Predicate => {
		if (peekWord('not')) {
			pos++;
			const inner = unary();
			return (e) => !inner(e);
		}
		return primary();
	};
	const andExpr = (): Predicate => {
		let left = unary();
		while (peekWord('and')) {
			pos++;
			const l = left,
				r = unary();
			left = (e) => l(e) && r(e);
		}
		return left;
	};
	const orExpr = (): Predicate => {
		let left = andExpr();
		while (peekWord('or')) {
			pos++;
			const l = left,
				r = andExpr();
			left = (e) => l(e) || r(e);
		}
		return left;
	};

	if (tokens.length === 0) fail('empty expression');
	const predicate = orExpr();
	if (pos < tokens.length) fail(`unexpected '${tokens[pos].text}'`);
	return predicate;
}

function compare(actual: unknown, op: string, expected: unknown): boolean {
	const norm = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
	const a = norm(actual);
	const b = norm(expected);
	switch (op) {
		case 'eq':
			return a === b;
		case 'ne':
			return a !== b;
		default: {
			if (a === null || a === undefined || b === null || typeof a !== typeof b) return false;
			const x = a as string | number;
			const y = b as string | number;
			return op === 'gt' ? x > y : op === 'ge' ? x >= y : op === 'lt' ? x < y : x <= y;
		}
	}
}
