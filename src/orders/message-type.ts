// The type a message is taken as (pure). Payzero does not sign msgType, so it counts only where the
// signed body agrees: a body whose only status is the other type's is read as the other type. Both
// types carry the whole orderResultDto, so a body with both statuses can be either, and its msgType
// stands (the order rules keep it from moving either status backwards: docs/payzero.md, "Order state").
import { DECLARE_STATUS_NOTIFY, PAY_STATUS_NOTIFY, PAYZERO_MSG_TYPES } from "../payzero/envelope.js";
import type { OrderResultDto } from "../payzero/orderResult.js";

export interface TakenType {
  msgType: string;
  /** Why the type differs from the msgType that came, for the notification's `problem`; null when it does not. */
  note: string | null;
}

export function takenType(msgType: string, dto: OrderResultDto | null): TakenType {
  if (dto === null || !PAYZERO_MSG_TYPES.includes(msgType)) return { msgType, note: null };
  const other = msgType === PAY_STATUS_NOTIFY ? DECLARE_STATUS_NOTIFY : PAY_STATUS_NOTIFY;
  const [own, others] =
    msgType === PAY_STATUS_NOTIFY ? [dto.payStatus, dto.declareStatus] : [dto.declareStatus, dto.payStatus];
  if (own !== null || others === null) return { msgType, note: null };
  const field = msgType === PAY_STATUS_NOTIFY ? "payStatus" : "declareStatus";
  return {
    msgType: other,
    note: `msgType ${msgType} does not match the body (no ${field}): taken as ${other}`,
  };
}
