import Console
import Foundation
import HTTPTypes
import HummingbirdTesting
import TestSupport
import XCTest

/// The API's JSON names are snake_case (API.md), spelled by each type's `CodingKeys` rather than a
/// key strategy (issue 13). Here the names of answers and of request fields, nested ones included,
/// as a client sees them; `ListStatementCountTests` checks every name in every API list's answer.
final class APIWireNamesTests: XCTestCase {
    func testAnswersNameTheirFieldsInSnakeCase() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["r1.admin"]!)
            let accounts = try await api.call(.get, "/api/v1/accounts?limit=50", token: token)
            XCTAssertEqual(accounts.status, .ok, accounts.text)
            XCTAssertTrue(Set(accounts.json.keys).isSubset(of: ["items", "next_cursor"]), "\(accounts.json.keys)")
            let account = try XCTUnwrap((accounts.json["items"] as? [[String: Any]])?.first)
            XCTAssertEqual(Set(account.keys), ["address", "contact_email", "contact_name", "contact_phone", "created_at", "currency", "id", "kind", "name",
                                               "parent_id", "status", "tax_rate"])
            let absent = try await api.call(.get, "/api/v1/accounts/999999", token: token)
            let requestID = try XCTUnwrap(absent.headers[HTTPField.Name("X-Request-Id")!])
            XCTAssertEqual(absent.text, #"{"error":{"code":"not_found","details":{},"message":"No account 999999 here.","request_id":""# + requestID + #""}}"#,
                           "snake_case to the last key, the request id the header carries")
        }
    }

    /// A field missing or mistyped is 422 naming it as the client wrote it, path and all.
    func testARequestFieldIsNamedAsTheClientSendsIt() async throws {
        try await withConsole { client, fixture, _ in
            let api = APIClient(client: client)
            let token = try await api.token(fixture.users["r1.admin"]!)
            let cases: [(String, String, String)] = [
                (#"{"plan_id":1}"#, "customer_id", "customer_id is required."),
                (#"{"customer_id":1,"plan_id":1,"period_months":"one","period_start":"2026-01-01"}"#, "period_months",
                 "period_months has the wrong type or value."),
                (#"{"customer_id":1,"plan_id":1,"period_months":1,"period_start":"2026-01-01","resources":[{"additional":1}]}"#,
                 "resources.0.resource_code", "resources.0.resource_code is required."),
                // The contract's names only: a camelCase spelling is not one of them.
                (#"{"customerId":1,"plan_id":1,"period_months":1,"period_start":"2026-01-01"}"#, "customer_id", "customer_id is required."),
            ]
            for (body, code, message) in cases {
                let answer = try await api.call(.post, "/api/v1/subscriptions", token: token, json: body)
                XCTAssertEqual(answer.status, .unprocessableContent, body)
                XCTAssertEqual(answer.errorCode, code, body)
                XCTAssertEqual((answer.json["error"] as? [String: Any])?["message"] as? String, message, body)
            }
        }
    }
}
