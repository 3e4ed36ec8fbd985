/**
 * Runtime contracts for job data. A job's data travels through Redis as JSON, so
 * the worker cannot trust its TypeScript type: each job declares a spec of its
 * fields, and `parseJobData` checks a payload against it before any side effect.
 */

/** The kinds of value a job data field can hold. */
export type FieldKind =
  | "string"
  | "uuid"
  | "email"
  | "url"
  | "iso-date-time"
  | "number"
  | "integer"
  | "boolean"
  | "object"
  | "string[]"
  | "number[]";

export type FieldSpec =
  | { readonly type: FieldKind; readonly required: boolean }
  | {
      readonly type: "enum";
      readonly values: readonly string[];
      readonly required: boolean;
    };

export type JobDataSpec = Readonly<Record<string, FieldSpec>>;

interface FieldValues {
  string: string;
  uuid: string;
  email: string;
  url: string;
  "iso-date-time": string;
  number: number;
  integer: number;
  boolean: boolean;
  object: Record<string, unknown>;
  "string[]": string[];
  "number[]": number[];
}

/** The TypeScript type of the values a field spec accepts. */
export type FieldValue<S extends FieldSpec> = S extends {
  readonly type: "enum";
  readonly values: readonly (infer V)[];
}
  ? V
  : S["type"] extends keyof FieldValues
    ? FieldValues[S["type"]]
    : never;

type RequiredKeys<S extends JobDataSpec> = {
  [K in keyof S]: S[K]["required"] extends true ? K : never;
}[keyof S];

/** The data type a spec describes: what `parseJobData` returns for it. */
export type InferJobData<S extends JobDataSpec> = {
  -readonly [K in RequiredKeys<S>]: FieldValue<S[K]>;
} & {
  -readonly [K in Exclude<keyof S, RequiredKeys<S>>]?: FieldValue<S[K]>;
};

/** Job data that does not match its spec. Retrying cannot fix it. */
export class JobDataError extends Error {
  override readonly name = "JobDataError";

  constructor(
    readonly field: string,
    readonly expected: string,
    readonly received: string
  ) {
    super(`${field}: expected ${expected}, received ${received}`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === "http:" || protocol === "https:";
}

/** What each kind accepts, and how an error message names it. */
const KIND_CHECKS: Record<
  FieldKind,
  { expected: string; accepts: (value: unknown) => boolean }
> = {
  string: { expected: "a string", accepts: (v) => typeof v === "string" },
  uuid: {
    expected: "a UUID string",
    accepts: (v) => typeof v === "string" && UUID.test(v)
  },
  email: {
    expected: "an email address",
    accepts: (v) => typeof v === "string" && EMAIL.test(v)
  },
  url: {
    expected: "an http(s) URL",
    accepts: (v) => typeof v === "string" && isHttpUrl(v)
  },
  "iso-date-time": {
    expected: "an ISO-8601 date-time string",
    accepts: (v) =>
      typeof v === "string" &&
      ISO_DATE_TIME.test(v) &&
      !Number.isNaN(Date.parse(v))
  },
  number: { expected: "a finite number", accepts: isFiniteNumber },
  integer: { expected: "an integer", accepts: (v) => Number.isSafeInteger(v) },
  boolean: { expected: "a boolean", accepts: (v) => typeof v === "boolean" },
  object: { expected: "an object", accepts: isRecord },
  "string[]": {
    expected: "an array of strings",
    accepts: (v) =>
      Array.isArray(v) && v.every((item) => typeof item === "string")
  },
  "number[]": {
    expected: "an array of finite numbers",
    accepts: (v) => Array.isArray(v) && v.every(isFiniteNumber)
  }
};

/** Names the type of a rejected value without echoing it: job data may hold personal data. */
function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a value of type ${typeof value}`;
}

function enumMismatch(
  field: string,
  values: readonly string[],
  value: unknown
): JobDataError {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`;
  return new JobDataError(
    field,
    expected,
    typeof value === "string" ? "another string" : describeValue(value)
  );
}

const STRING_FORMATS: ReadonlySet<FieldKind> = new Set([
  "uuid",
  "email",
  "url",
  "iso-date-time"
]);

function describeMismatch(value: unknown, kind: FieldKind): string {
  if (typeof value === "string" && STRING_FORMATS.has(kind))
    return "a string in another format";
  if (Array.isArray(value) && kind.endsWith("[]"))
    return "an array holding another type";
  return describeValue(value);
}

/** One field of a spec, with its check looked up once. */
interface CompiledField {
  readonly name: string;
  readonly required: boolean;
  /** Undefined when the value is accepted; otherwise the error naming the field. */
  readonly check: (value: unknown) => JobDataError | undefined;
}

function compileField(name: string, spec: FieldSpec): CompiledField {
  if (spec.type === "enum") {
    const { values } = spec;
    return {
      name,
      required: spec.required,
      check: (value) =>
        typeof value === "string" && values.includes(value)
          ? undefined
          : enumMismatch(name, values, value)
    };
  }
  const kind = spec.type;
  const { accepts, expected } = KIND_CHECKS[kind];
  return {
    name,
    required: spec.required,
    check: (value) =>
      accepts(value)
        ? undefined
        : new JobDataError(name, expected, describeMismatch(value, kind))
  };
}

// Every job's data is checked on every attempt: each spec is turned into a list of
// checks once, so a check allocates nothing beyond the copy it returns.
const compiledSpecs = new WeakMap<JobDataSpec, readonly CompiledField[]>();

function compiledFieldsOf(spec: JobDataSpec): readonly CompiledField[] {
  let fields = compiledSpecs.get(spec);
  if (!fields) {
    fields = Object.entries(spec).map(([name, fieldSpec]) =>
      compileField(name, fieldSpec)
    );
    compiledSpecs.set(spec, fields);
  }
  return fields;
}

/**
 * Checks `input` against `spec` and returns a copy holding only the declared fields.
 * Throws `JobDataError`, naming the first wrong field, when the data does not fit.
 */
export function parseJobData<const S extends JobDataSpec>(
  input: unknown,
  spec: S
): InferJobData<S> {
  if (!isRecord(input)) {
    throw new JobDataError("data", "an object", describeValue(input));
  }
  const parsed: Record<string, unknown> = {};
  for (const field of compiledFieldsOf(spec)) {
    const value = Object.hasOwn(input, field.name)
      ? input[field.name]
      : undefined;
    if (value === undefined) {
      if (field.required)
        throw new JobDataError(
          field.name,
          "a value",
          "nothing (the field is required)"
        );
      continue;
    }
    const mismatch = field.check(value);
    if (mismatch) throw mismatch;
    parsed[field.name] = value;
  }
  // Every declared field was checked above, so the copy has the inferred shape.
  return parsed as InferJobData<S>;
}
