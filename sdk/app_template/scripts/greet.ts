// scripts/greet.ts: the same in TypeScript (types are stripped when loaded):
//   phost --app . run scripts.greet.Greet '"world"' 2
interface Greeting {
  text: string;
  times: number;
}

export function Greet(name: string, times: number = 1): Greeting {
  if (name === "") throw new Exception("Greet: a name is needed", 400);
  return { text: ("Hello, " + name + "! ").repeat(times).trim(), times };
}
