// asl-validator ships no types; this is the part the infra tests call.
declare module 'asl-validator' {
  interface AslValidationResult {
    isValid: boolean;
    errors: unknown[];
    errorsText(separator?: string): string;
  }
  export default function validator(definition: unknown, opts?: { checkPaths?: boolean; checkArn?: boolean }): AslValidationResult;
}
