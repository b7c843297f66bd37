// The text of `help`.
export const HELP = `payzero-notify operator CLI

usage: cli <command> [options]     (npm run cli -- <command> …, or node dist/cli/main.js <command> …)

commands:
  deliveries [--status failed|pending|succeeded] [--webhook <id>] [--limit N]
      deliveries of one status (default failed), newest first (limit default 50, at most 1000)
  retry <deliveryId> [--wait]
  retry --webhook <id> --all-failed [--wait]
      re-send failed deliveries now (one attempt each), like POST /v1/deliveries/:id/retry
  order <mchtOrderNo>
      the order's state and notification history, oldest first (payer data masked)
  order retry <mchtOrderNo> --kind pay|declare
      announce that you asked Payzero to pay again (sections 2.7, 4.2, 5.5, 6.2) or to declare again
      (8.1), like POST /v1/orders/:mchtOrderNo/retries: the next notification of that kind is forwarded
      as a new event even if identical to an earlier one
  order query <mchtOrderNo>
      ask Payzero about the order now and apply its answer (like POST /v1/orders/:mchtOrderNo/query;
      needs PAYZERO_API_URL, PAYZERO_APP_ID, PAYZERO_APP_KEY); a worker sends what it forwards
  order erase <mchtOrderNo>
      erase the payer's name, ID number and phone of the order everywhere they are stored (like
      DELETE /v1/orders/:mchtOrderNo/personal-data); statuses, amounts and history stay
  expect <mchtOrderNo>… [--declare | --no-declare]
      register up to 1000 orders to expect (like POST /v1/orders/expected): the reconciler asks Payzero
      about them even if no notification comes; --no-declare: never declared, finished once paid
  refund register <mchtRefundOrderNo> <mchtOrderNo> [--amount <fen>]
      register a refund applied for with Payzero (like POST /v1/refunds): polled with Payzero's refund
      status query until REFUND_SUCCEED or REFUND_FAILED, each change forwarded as REFUND_STATUS_NOTIFY
  refund show <mchtRefundOrderNo>
      the refund as Payzero last answered about it (like GET /v1/refunds/:mchtRefundOrderNo)
  replay <notificationId> [--webhook <id>] [--wait]
      forward a stored notification again: new deliveries for enabled, subscribed endpoints that have
      none, failed ones re-sent; the webhook-id stays msg_<contentKey> so receivers de-duplicate
  backfill <webhookId> --since <ISO time> [--until <ISO time>]
      send the webhook every stored notification received in [since, until) (until: now) that it
      subscribes to and has not had (like POST /v1/webhooks/:id/backfill); the worker processes
      create the deliveries in batches and send them oldest first, at the webhook's rate limit
  backfill <webhookId>
      the webhook's backfills and their progress, newest first
  audit verify [--anchor <entryId>:<hash>]
      recompute the audit log's hash chain from its first entry; exit 1 naming the first entry that
      does not match (changed or removed by hand); --anchor: an id and hash kept elsewhere earlier,
      which the entry must still have (a chain rewritten from the start up to it is found)
  audit list [--action <action>] [--target <target>] [--limit N]
      audit entries, newest first (like GET /v1/audit)
  tokens create --name <name> --scope <scope> [--scope <scope>…]
      a new API token for /v1 (like POST /v1/tokens); scopes: admin, read, personal-data,
      orders:expect; its value is printed this once, only its hash is kept
  tokens list
      every API token, newest first, with its scopes and last use (never a value)
  tokens revoke <tokenId>
      refuse the token from now on (like DELETE /v1/tokens/:id)
  help
      this text

options:
  --json    machine-readable output on stdout
  --wait    follow the re-sent deliveries until a worker has attempted them
            (exit 1 unless all succeeded)

exit codes: 0 done, 1 not found / nothing to do / failed, 2 usage error
reads DATABASE_URL, REDIS_URL, REDIS_PREFIX … like the service (see docs/configuration.md)`;
