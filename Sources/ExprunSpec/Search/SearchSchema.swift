import ExprunCore

/// The `search:` section's JSON Schema (its keys and laws are read from SearchSection and
/// SearchRange, the code that parses them).
extension ConfigSchema {
    static func searchSchema() -> [String: Any] {
        let pair: [String: Any] = ["type": "array", "items": ["type": "number"], "minItems": 2, "maxItems": 2]
        var laws: [[String: Any]] = [pair]
        for law in SearchRange.laws {
            let args: [String: Any] = law == "choice" ? ["type": "array", "minItems": 1] : pair
            laws.append(["type": "object", "properties": [law: args], "required": [law], "additionalProperties": false])
        }
        let range: [String: Any] = ["anyOf": laws]
        let roles = ExperimentBuilder.roles.filter { $0 != "run" }
        let perComponent: [String: Any] = [
            "type": "object", "minProperties": 1,
            "additionalProperties": ["anyOf": [["type": "null"],
                                               ["type": "object", "patternProperties": ["^[A-Za-z0-9_]+$": range],
                                                "additionalProperties": false]]]]
        let space: [String: Any] = [
            "type": "object", "minProperties": 1,
            "description": "searched paths (role.param, run.key, or a role with {choice: [...]}) to ranges: [low, high] (the law the declaration implies: log-uniform for step sizes), {uniform|loguniform|int: [low, high]} or {choice: [...]}; or a role nested by component names, each with its own space",
            "patternProperties": ["^(" + roles.joined(separator: "|") + ")$": ["anyOf": [range, perComponent]],
                                  "^(" + roles.joined(separator: "|") + ")\\.[A-Za-z0-9_]+$|^run\\.(" + RunSection.keys.joined(separator: "|") + ")$": range],
            "additionalProperties": false]
        var properties: [String: Any] = [
            "method": ["enum": SearchMethod.allCases.map(\.rawValue) + HalvingSettings.methods,
                       "description": "random or sobol: that many points of the space; halving: successive halving over candidates"],
            "samples": ["type": "integer", "minimum": 1, "description": "points of the space (per component when the space is nested)"],
            "seed": ["type": "integer", "minimum": 0, "description": "the random search's seed (default 0)"],
            "space": space,
        ]
        for (key, schema) in HalvingSettings.schemaProperties { properties[key] = schema }
        return ["type": "object", "description": "search beyond the grid: random or Sobol points of declared ranges, or successive halving",
                "properties": properties, "required": ["method"], "additionalProperties": false]
    }
}
