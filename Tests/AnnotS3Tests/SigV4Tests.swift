import Foundation
import Testing
@testable import AnnotS3

/// AWS's published S3 examples ("Signature Calculations for the Authorization Header:
/// Transferring Payload in a Single Chunk"): bucket `examplebucket` in us-east-1, key
/// AKIAIOSFODNN7EXAMPLE, 24 May 2013 00:00:00 UTC. To add a case, copy the request and the
/// signature from that page; the expected value must come from AWS, never from this signer.
struct SigV4Example: Sendable, CustomTestStringConvertible {
  var name: String
  var method: String
  var path: String
  var query: [(String, String)]
  var headers: [String: String]
  var payloadHash: String
  var signedHeaders: String
  var signature: String
  var testDescription: String { name }

  static let all: [SigV4Example] = [
    SigV4Example(name: "GET Object with a Range", method: "GET", path: "/test.txt", query: [],
                 headers: ["Range": "bytes=0-9"], payloadHash: SigV4Signer.emptyPayload,
                 signedHeaders: "host;range;x-amz-content-sha256;x-amz-date",
                 signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    SigV4Example(name: "PUT Object, key with $ and storage class", method: "PUT",
                 path: "/" + SigV4Signer.uriEncode("test$file.text", keepSlash: true), query: [],
                 headers: ["Date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"],
                 payloadHash: "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
                 signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                 signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
    SigV4Example(name: "GET Bucket lifecycle (valueless sub-resource)", method: "GET", path: "/", query: [("lifecycle", "")],
                 headers: [:], payloadHash: SigV4Signer.emptyPayload, signedHeaders: "host;x-amz-content-sha256;x-amz-date",
                 signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    SigV4Example(name: "GET Bucket (List Objects), query given out of order", method: "GET", path: "/",
                 query: [("prefix", "J"), ("max-keys", "2")], headers: [:], payloadHash: SigV4Signer.emptyPayload,
                 signedHeaders: "host;x-amz-content-sha256;x-amz-date",
                 signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
  ]
}

@Test(arguments: SigV4Example.all)
func signsAWSExample(_ e: SigV4Example) {
  let signer = SigV4Signer(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                                      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                           region: "us-east-1")
  var headers = e.headers
  headers["Host"] = "examplebucket.s3.amazonaws.com"
  let out = signer.sign(method: e.method, path: e.path, query: e.query, headers: headers, payloadHash: e.payloadHash,
                        date: Date(timeIntervalSince1970: 1_369_353_600))
  #expect(out["x-amz-date"] == "20130524T000000Z")
  #expect(out["authorization"] == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
    + "SignedHeaders=\(e.signedHeaders), Signature=\(e.signature)")
}

@Test func sessionTokenIsSignedAndSent() {
  let signer = SigV4Signer(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                                      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", sessionToken: "tok"),
                           region: "us-east-1")
  let out = signer.sign(method: "GET", path: "/test.txt", query: [], headers: ["host": "examplebucket.s3.amazonaws.com"],
                        payloadHash: SigV4Signer.emptyPayload, date: Date(timeIntervalSince1970: 1_369_353_600))
  #expect(out["x-amz-security-token"] == "tok")
  #expect(out["authorization"]?.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,") == true)
}

@Test func encodesKeysAsS3Expects() {
  #expect(SigV4Signer.uriEncode("a b/c+d~e$", keepSlash: true) == "a%20b/c%2Bd~e%24")
  #expect(SigV4Signer.uriEncode("a/b", keepSlash: false) == "a%2Fb")
  #expect(SigV4Signer.uriEncode("ü", keepSlash: false) == "%C3%BC")
}

@Test func resolvesEnvironmentBeforeProfilesAndProfilesByName() throws {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("annot-s3-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  try """
  [default]
  aws_access_key_id = DEFKEY
  aws_secret_access_key = defsecret
  # a comment
  [work]
  aws_access_key_id=WORKKEY
  aws_secret_access_key=worksecret
  aws_session_token = worktoken
  """.write(to: dir.appendingPathComponent("credentials"), atomically: true, encoding: .utf8)
  try """
  [default]
  region = eu-west-1
  [profile work]
  region = ap-south-1
  endpoint_url = http://127.0.0.1:9000
  s3 =
    addressing_style = path
  """.write(to: dir.appendingPathComponent("config"), atomically: true, encoding: .utf8)
  let files = ["AWS_SHARED_CREDENTIALS_FILE": dir.path + "/credentials", "AWS_CONFIG_FILE": dir.path + "/config", "HOME": dir.path]

  let d = S3Environment.resolve(endpoint: nil, region: nil, environment: files)
  #expect(d.credentials == S3Credentials(accessKeyID: "DEFKEY", secretAccessKey: "defsecret"))
  #expect(d.region == "eu-west-1")
  #expect(d.endpoint == nil)

  let w = S3Environment.resolve(endpoint: nil, region: nil, environment: files.merging(["AWS_PROFILE": "work"]) { $1 })
  #expect(w.credentials == S3Credentials(accessKeyID: "WORKKEY", secretAccessKey: "worksecret", sessionToken: "worktoken"))
  #expect(w.region == "ap-south-1")
  #expect(w.endpoint == "http://127.0.0.1:9000")

  let env = files.merging(["AWS_PROFILE": "work", "AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret",
                           "AWS_DEFAULT_REGION": "us-west-2", "AWS_ENDPOINT_URL": "http://localhost:1"]) { $1 }
  let e = S3Environment.resolve(endpoint: nil, region: nil, environment: env)
  #expect(e.credentials == S3Credentials(accessKeyID: "ENVKEY", secretAccessKey: "envsecret"))
  #expect(e.region == "us-west-2")
  #expect(e.endpoint == "http://localhost:1")
  // The repository's own setting wins over the environment.
  #expect(S3Environment.resolve(endpoint: "http://x:2", region: "r1", environment: env).endpoint == "http://x:2")
}

@Test func parsesS3URLs() {
  #expect(S3Location(url: "s3://my-bucket/data/set/") == S3Location(bucket: "my-bucket", prefix: "data/set"))
  #expect(S3Location(url: "s3://my-bucket") == S3Location(bucket: "my-bucket", prefix: ""))
  #expect(S3Location(url: "s3://My_Bucket/x") == nil)
  #expect(S3Location(url: "https://b/x") == nil)
  #expect(S3Location(url: "s3://bucket//x") == nil)
}
