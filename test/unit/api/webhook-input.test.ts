import { describe, expect, it } from "vitest";
import {
  EMPTY_MSG_TYPES,
  inputProblem,
  storedMsgTypes,
  urlProblem,
} from "../../../src/webhooks/endpoints/input.js";

describe("endpoint input", () => {
  it("takes only absolute http(s) URLs", () => {
    expect(urlProblem("https://example.com/hook")).toBeUndefined();
    expect(urlProblem("http://127.0.0.1:8080/x")).toBeUndefined();
    expect(urlProblem("ftp://example.com/")).toMatch(/http/);
    expect(urlProblem("/relative")).toBeDefined();
    expect(urlProblem("javascript:alert(1)")).toBeDefined();
  });

  it("stores null or absent msgTypes as every type and refuses an empty list", () => {
    expect(storedMsgTypes(undefined)).toEqual([]);
    expect(storedMsgTypes(null)).toEqual([]);
    expect(storedMsgTypes(["A", "B", "A"])).toEqual(["A", "B"]);
    expect(inputProblem({ msgTypes: [] })).toBe(EMPTY_MSG_TYPES);
    expect(inputProblem({ msgTypes: null, url: "https://x.test/" })).toBeUndefined();
    expect(inputProblem({ secret: "nope" })).toBeDefined();
    expect(inputProblem({ secret: null })).toBeUndefined();
  });
});
