// What the console's endpoint and delivery routes take: params, queries and form bodies. Checked by
// TypeBox (formValidatorCompiler of api/validation.ts: a lone value where a list belongs is a list of
// one, as HTML forms send one ticked box); the values themselves are checked by the operations, whose
// refusals the pages show.
import { Type } from "typebox";

const Text = Type.String({ maxLength: 10_000 });

/** Every console form carries its CSRF token (checked by auth.ts before the handler). */
const Form = <T extends Parameters<typeof Type.Object>[0]>(fields: T) =>
  Type.Object({ _csrf: Type.Optional(Text), ...fields });

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const NoticeQuery = Type.Object({ notice: Type.Optional(Text) });

export const DeliveriesQuery = Type.Object({
  status: Type.Optional(Text),
  webhookId: Type.Optional(Text),
  notice: Type.Optional(Text),
});

export const EndpointForm = Form({
  url: Type.Optional(Text),
  description: Type.Optional(Text),
  msgTypes: Type.Optional(Type.Array(Text, { maxItems: 50 })),
  /** The box ticked: "per-order"; absent: "none" (the operation refuses anything else). */
  ordering: Type.Optional(Text),
});

export const EnabledForm = Form({ enabled: Type.Optional(Text) });

export const RotateForm = Form({ overlapHours: Type.Optional(Text) });

/** An action's form: where to go back to after it. */
export const BackForm = Form({ back: Type.Optional(Text) });

/** The order page's retry buttons (console/orders.ts). */
export const RetryForm = Form({ kind: Text });

export const EmptyForm = Form({});
