// PayzeroClient against the exact requests and answers of Payzero's document (payzero-quickpay-api.md):
// section 1 (login), 技术综述 (Authorization header, envelope), 2.4/4.3 (orderResultDto), 2.5 (its rows).
import { describe, expect, it } from "vitest";
import { parseOrderResult } from "../../../src/payzero/orderResult.js";
import { PayzeroApiError, PayzeroClient } from "../../../src/payzero/query-api.js";

// Section 1's answer; the token's iat is 1553066985, its exp 4 hours later.
const LOGIN_ANSWER = {
  success: true,
  errorMsg: null,
  errorCode: null,
  data: {
    username: "admin",
    token:
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiIsInJvbGVzIjpbIlJPTEVfVVNFUiIsIlJPTEVfQURNSU4iXSwiaWF0IjoxNTUzMDY2OTg1LCJleHAiOjE1NTMwODEzODV9.KIfG8LOk2FoMgqXAU8DCg_cbci36OqbLUIHUdIXDsF0",
  },
};

// Section 2.4's orderResultDto (4.3: queryOrder answers the same), initRequest/initResponse shortened.
const ORDER = {
  mchtOrderNo: "2019041000011",
  paymentAmount: 1,
  payerName: "周Xx",
  payerNumber: "610327198509271234",
  payerPhone: "13800138000",
  subject: "YYYYYYYY-口红",
  payStatus: "PAY_SUCCEED",
  declareStatus: "DECLARE_FAILED",
  declareFailReason: "支付人姓名和证件号不匹配",
  paymentOrderNo: "111906650000561884",
  verDept: null,
  payType: "2",
  initRequest:
    "https://vsp.allinpay.com/apiweb/qpay/payapplyagree[data:{agreeid=201902221443545123, amount=1}]",
  initResponse: '{"retcode":"SUCCESS","retmsg":null,"trxstatus":"1999","errmsg":"请输入短信验证码"}',
  paymentDatetime: "20190411213822",
  customsPayCompanyName: "通联支付网络服务股份有限公司",
  customsPayCompanyCode: "312228034T",
};

// 技术综述: "一个典型的业务失败的返回例子".
const FAILURE = { success: false, errorMsg: "参数 xxxx 未正确设置。", errorCode: "30001", data: null };

interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: string | null;
}

function payzero(queryAnswer: unknown, seen: Seen[]): typeof fetch {
  return async (input, init) => {
    const url = String(input);
    seen.push({
      method: init?.method ?? "GET",
      url,
      headers: new Headers(init?.headers),
      body: typeof init?.body === "string" ? init.body : null,
    });
    const answer = url.endsWith("/auth/login") ? LOGIN_ANSWER : queryAnswer;
    return new Response(JSON.stringify(answer), { headers: { "content-type": "application/json" } });
  };
}

function client(fetchImpl: typeof fetch): PayzeroClient {
  return new PayzeroClient({
    baseUrl: "https://dev-quickpay-api.payzero.cn",
    appId: "abc",
    appKey: "p@ssw0rd",
    fetch: fetchImpl,
    now: () => 1553066985_000,
    sleep: async () => {},
  });
}

describe("Payzero's document, request and answer", () => {
  it("logs in with {username, password} as JSON, then queries with the Bearer token (1, 技术综述, 4.3)", async () => {
    const seen: Seen[] = [];
    const answer = await client(
      payzero({ success: true, errorMsg: null, errorCode: null, data: ORDER }, seen),
    ).queryOrder("2019041000011");
    expect(seen.map((s) => [s.method, s.url])).toEqual([
      ["POST", "https://dev-quickpay-api.payzero.cn/auth/login"],
      ["GET", "https://dev-quickpay-api.payzero.cn/order/queryOrder?mchtOrderNo=2019041000011"],
    ]);
    expect(seen[0]!.headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(seen[0]!.body!)).toEqual({ username: "abc", password: "p@ssw0rd" });
    expect(seen[1]!.headers.get("authorization")).toBe(`Bearer ${LOGIN_ANSWER.data.token}`);
    expect(answer.dto).toEqual({ ...ORDER, paymentAmount: 1n });
  });

  it("turns the document's failure example into a PayzeroApiError with its code and message", async () => {
    const err = await client(payzero(FAILURE, []))
      .queryOrder("2019041000011")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayzeroApiError);
    expect(err).toMatchObject({ errorCode: "30001", errorMsg: "参数 xxxx 未正确设置。" });
  });

  it("reads 2.5's rows: PAY_CANCELLED (not in A.1) kept as is, paymentDatetime as a JSON number", () => {
    const row = {
      ...ORDER,
      mchtOrderNo: "BA1812-100937",
      payStatus: "PAY_CANCELLED",
      declareStatus: "NOT_DECLARED",
      declareFailReason: null,
      paymentOrderNo: null,
      initRequest: null,
      initResponse: null,
      paymentDatetime: 20190313124233,
    };
    expect(parseOrderResult(JSON.stringify(row))).toMatchObject({
      ok: true,
      dto: { payStatus: "PAY_CANCELLED", paymentDatetime: "20190313124233", paymentOrderNo: null },
    });
  });
});
