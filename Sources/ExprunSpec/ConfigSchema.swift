import Foundation
import ExprunCore
import ExprunCatalogue

/// The JSON Schema of config files, generated from the catalogue's declarations (the same
/// ones that drive validation), so editors and `jsonschema` agree with `exprun validate`.
public enum ConfigSchema {
    public static func json() -> String {
        let data = try! JSONSerialization.data(withJSONObject: schema(), options: [.prettyPrinted, .sortedKeys])
        return String(data: data, encoding: .utf8)! + "\n"
    }

    static func schema() -> [String: Any] {
        var properties: [String: Any] = [
            "name": ["type": "string", "pattern": "^[^/]+$", "description": "experiment name; output goes to runs/<name>"],
            "description": ["type": "string"],
            "seeds": ["description": "number of seeds (0..n-1), a list of seeds, or {range: [a, b]}",
                      "anyOf": [["type": "integer", "minimum": 1],
                                ["type": "array", "items": ["type": "integer", "minimum": 0], "minItems": 1],
                                sweepHelper("range")]],
            "run": runSchema(),
            "sweep": sweepSchema(),
            "search": searchSchema(),
            "selections": ["type": "object",
                           "description": "named selections of runs, which a component's selection parameter (`from:`) takes input from",
                           "additionalProperties": selectionSchema()],
            "summary": ["type": "object", "properties": ["metric": ["type": "string"]], "additionalProperties": false],
            "limits": ["type": "object", "description": "bounds checked before anything is allocated (raise them for larger sweeps)",
                       "properties": Dictionary(uniqueKeysWithValues: SweepLimits.keys.map { ($0, ["type": "integer", "minimum": 1] as [String: Any]) }),
                       "additionalProperties": false],
            "slurm": ["type": "object", "description": "resources of `exprun submit --slurm` (the command line wins)",
                      "properties": Dictionary(uniqueKeysWithValues: SlurmSettings.keys.map { key -> (String, Any) in
                          switch key {
                          case "tasks", "cpus_per_task", "concurrency": return (key, ["type": "integer", "minimum": 1])
                          case "extra": return (key, ["type": "array", "items": ["type": "string"]])
                          default: return (key, ["type": ["string", "number"]])
                          }
                      }),
                      "additionalProperties": false],
        ]
        for family in Family.configSections {
            properties[family.section] = [
                "type": "object",
                "description": "named \(family.rawValue) components",
                "additionalProperties": kindSelectedComponent(family),
            ]
        }
        return [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://exprun.dev/schemas/exprun-config.schema.json",
            "title": "exprun experiment config",
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
            "$defs": inlineDefinitions(),
        ]
    }

    /// A component of `family`, its branch selected by `kind` (if/then per kind) rather than a
    /// oneOf over every kind: an editor then reports the one error of the intended kind
    /// ("'abc' is not of type 'number'") instead of every other kind's "additional properties".
    static func kindSelectedComponent(_ family: Family) -> [String: Any] {
        let decls = Catalogue.decls(family)
        return ["type": "object", "required": ["kind"],
                "properties": ["kind": ["enum": decls.map(\.kind), "description": "the \(family.rawValue) kind"]],
                "allOf": decls.map { d in ["if": ["properties": ["kind": ["const": d.kind]], "required": ["kind"]],
                                           "then": componentSchema(d)] as [String: Any] }]
    }

    /// The families written inline (transforms): each kind is its own definition, the
    /// mapping of its parameters, which a `componentList` parameter's entries refer to.
    static func inlineDefinitions() -> [String: Any] {
        var defs: [String: Any] = [:]
        for family in Family.allCases where !family.isNamedInConfig {
            for decl in Catalogue.decls(family) {
                var props: [String: Any] = [:]
                for p in decl.params { props[p.name] = paramSchema(p) }
                defs[definitionName(family, decl.kind)] = [
                    "title": "\(family.rawValue) \(decl.kind)", "description": decl.doc,
                    "anyOf": [["type": "null"],
                              ["type": "object", "properties": props, "additionalProperties": false,
                               "required": decl.params.filter(\.required).map(\.name)]],
                ]
            }
        }
        return defs
    }

    static func definitionName(_ family: Family, _ kind: String) -> String { "\(family.rawValue).\(kind)" }

    /// An entry of a `componentList`: `{kind: {params}}` with one key, or the string form.
    static func inlineEntrySchema(_ family: Family) -> [String: Any] {
        let kinds = Catalogue.decls(family).map(\.kind)
        var byKind: [String: Any] = [:]
        for k in kinds { byKind[k] = ["$ref": "#/$defs/" + definitionName(family, k)] }
        return ["anyOf": [["type": "string", "description": "`kind` or `kind(key=value, ...)`, several separated by commas"],
                          ["type": "object", "minProperties": 1, "maxProperties": 1,
                           "properties": byKind, "additionalProperties": false]]]
    }

    static func componentSchema(_ decl: ComponentDecl) -> [String: Any] {
        var props: [String: Any] = ["kind": ["const": decl.kind, "description": decl.doc]]
        for p in decl.params { props[p.name] = paramSchema(p) }
        return ["type": "object", "title": "\(decl.family.rawValue) \(decl.kind)", "properties": props,
                "required": ["kind"] + decl.params.filter(\.required).map(\.name), "additionalProperties": false]
    }

    static func numberSchema(_ type: String, _ r: ValueRange) -> [String: Any] {
        var s: [String: Any] = ["type": type]
        if let lo = r.min { s[r.minOpen ? "exclusiveMinimum" : "minimum"] = lo }
        if let hi = r.max { s[r.maxOpen ? "exclusiveMaximum" : "maximum"] = hi }
        return s
    }

    static func paramSchema(_ p: ParamDecl) -> [String: Any] {
        var s: [String: Any]
        switch p.type {
        case .double: s = numberSchema("number", p.range)
        case .int: s = numberSchema("integer", p.range)
        case .bool: s = ["type": "boolean"]
        case .string, .path, .reference, .selection: s = ["type": "string"]
        case .choice(let options): s = ["enum": options]
        case .referenceList: s = ["type": "array", "items": ["type": "string"]]
        case .doubleList: s = ["type": "array", "items": numberSchema("number", p.range)]
        case .intList: s = ["type": "array", "items": numberSchema("integer", p.range)]
        case .stringList: s = ["anyOf": [["type": "string"], ["type": "array", "items": ["type": "string"], "minItems": 1]]]
        case .componentList(let family):
            s = ["anyOf": [["type": "string"], ["type": "array", "items": inlineEntrySchema(family), "minItems": 1]]]
        case .intOr(let words): s = ["anyOf": [numberSchema("integer", p.range), ["enum": words]]]
        case .choiceList(let options): s = ["anyOf": [["enum": options], ["type": "array", "items": ["enum": options]]]]
        case .mapping(let fields):
            var props: [String: Any] = [:]
            for f in fields { props[f.name] = paramSchema(f) }
            s = ["type": "object", "properties": props, "additionalProperties": false,
                 "required": fields.filter(\.required).map(\.name)]
        }
        s["description"] = p.doc + (p.defaultValue.map { " (default \($0.canonical))" } ?? "")
        if !p.required && p.defaultValue == nil { return ["anyOf": [s, ["type": "null"]], "description": p.doc] }
        return s
    }

    static func sweepHelper(_ name: String) -> [String: Any] {
        ["type": "object", "properties": [name: ["type": "array", "items": ["type": "number"], "minItems": 2, "maxItems": 3]],
         "required": [name], "additionalProperties": false]
    }

    static func axisValues() -> [String: Any] {
        ["anyOf": [["type": "array", "minItems": 1], ["type": ["number", "string", "boolean"]]]
            + SweepValues.helpers.map(sweepHelper)]
    }

    /// A sweep axis's name: a role, `role.param` or `run.key` (or `seed`, in a selection).
    static func axisPattern(orSeed: Bool = false) -> String {
        let roles = ExperimentBuilder.roles.filter { $0 != "run" }
        return "^((" + roles.joined(separator: "|") + ")(\\.[A-Za-z0-9_]+)?|run\\.(" + RunSection.keys.joined(separator: "|") + ")"
            + (orSeed ? "|seed" : "") + ")$"
    }

    static func sweepSchema() -> [String: Any] {
        let pattern = axisPattern()
        let zipGroup: [String: Any] = ["type": "object", "minProperties": 1,
                                       "patternProperties": [pattern: axisValues()], "additionalProperties": false]
        // A role axis may also be a per-component grid: component names to their own axes.
        let ownGrid: [String: Any] = ["anyOf": [["type": "null"],
                                                ["type": "object", "patternProperties": ["^[A-Za-z0-9_]+$": axisValues()],
                                                 "additionalProperties": false]]]
        let perComponent: [String: Any] = ["type": "object", "minProperties": 1, "additionalProperties": ownGrid]
        let roles = ExperimentBuilder.roles.filter { $0 != "run" }
        var rolesAxis = axisValues()
        rolesAxis["anyOf"] = (rolesAxis["anyOf"] as! [[String: Any]]) + [perComponent]
        return ["type": "object",
                "description": "axes of the grid: a role (component names, or each component's own grid {name: {param: values}}) or role.parameter; zip pairs axes",
                "properties": ["zip": ["anyOf": [zipGroup, ["type": "array", "items": zipGroup]]]],
                "patternProperties": ["^(" + roles.joined(separator: "|") + ")$": rolesAxis,
                                      "^(" + roles.joined(separator: "|") + ")\\.[A-Za-z0-9_]+$|^run\\.(" + RunSection.keys.joined(separator: "|") + ")$": axisValues()],
                "additionalProperties": false]
    }

    /// A selection: sweep axes (or seed) to a value or a list of values, and `same`.
    static func selectionSchema() -> [String: Any] {
        return ["type": "object", "minProperties": 1,
                "properties": ["same": ["description": "what an upstream run shares with its downstream run (default: the seed and every axis not filtered)",
                                        "type": "array", "items": ["type": "string"]]],
                "patternProperties": [axisPattern(orSeed: true): ["anyOf": [["type": ["number", "string", "boolean"]],
                                                              ["type": "array", "minItems": 1]]]],
                "additionalProperties": false]
    }

    static func runSchema() -> [String: Any] {
        var props: [String: Any] = [:]
        for p in RunSection.params { props[p.name] = paramSchema(p) }
        return ["type": "object", "properties": props, "additionalProperties": false]
    }
}
