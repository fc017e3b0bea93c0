// Real Brazilian cities (names with their accents, as a shop's customers type them) with their state, the first
// digits of their CEP (postal code) range and a weight roughly following population, so the generated customer
// base looks like a Brazilian shop's: São Paulo dominates, then Rio, Belo Horizonte, Brasília...
export interface City {
  name: string;
  state: string;
  /** First and last 5-digit CEP prefix of the city. */
  zipFrom: number;
  zipTo: number;
  weight: number;
}

export const cities: readonly City[] = [
  { name: 'São Paulo', state: 'SP', zipFrom: 1000, zipTo: 5999, weight: 15 },
  { name: 'Rio de Janeiro', state: 'RJ', zipFrom: 20000, zipTo: 23799, weight: 7 },
  { name: 'Belo Horizonte', state: 'MG', zipFrom: 30000, zipTo: 31999, weight: 3 },
  { name: 'Brasília', state: 'DF', zipFrom: 70000, zipTo: 72799, weight: 2.5 },
  { name: 'Curitiba', state: 'PR', zipFrom: 80000, zipTo: 82999, weight: 2 },
  { name: 'Porto Alegre', state: 'RS', zipFrom: 90000, zipTo: 91999, weight: 2 },
  { name: 'Salvador', state: 'BA', zipFrom: 40000, zipTo: 42599, weight: 1.5 },
  { name: 'Campinas', state: 'SP', zipFrom: 13000, zipTo: 13139, weight: 1.5 },
  { name: 'Guarulhos', state: 'SP', zipFrom: 7000, zipTo: 7399, weight: 1.3 },
  { name: 'Fortaleza', state: 'CE', zipFrom: 60000, zipTo: 61599, weight: 1.2 },
  { name: 'Recife', state: 'PE', zipFrom: 50000, zipTo: 52999, weight: 1.2 },
  { name: 'São Bernardo do Campo', state: 'SP', zipFrom: 9600, zipTo: 9899, weight: 1 },
  { name: 'Niterói', state: 'RJ', zipFrom: 24000, zipTo: 24399, weight: 1 },
  { name: 'Goiânia', state: 'GO', zipFrom: 74000, zipTo: 74899, weight: 1 },
  { name: 'Florianópolis', state: 'SC', zipFrom: 88000, zipTo: 88099, weight: 0.9 },
  { name: 'Santo André', state: 'SP', zipFrom: 9000, zipTo: 9299, weight: 0.9 },
  { name: 'Manaus', state: 'AM', zipFrom: 69000, zipTo: 69099, weight: 0.7 },
  { name: 'Ribeirão Preto', state: 'SP', zipFrom: 14000, zipTo: 14114, weight: 0.7 },
  { name: 'Belém', state: 'PA', zipFrom: 66000, zipTo: 66999, weight: 0.6 },
  { name: 'Vitória', state: 'ES', zipFrom: 29000, zipTo: 29099, weight: 0.6 },
  { name: 'Uberlândia', state: 'MG', zipFrom: 38400, zipTo: 38415, weight: 0.5 },
  { name: 'Londrina', state: 'PR', zipFrom: 86000, zipTo: 86099, weight: 0.5 },
  { name: 'Jundiaí', state: 'SP', zipFrom: 13200, zipTo: 13219, weight: 0.5 },
  { name: 'Sorocaba', state: 'SP', zipFrom: 18000, zipTo: 18109, weight: 0.5 },
  { name: 'Maceió', state: 'AL', zipFrom: 57000, zipTo: 57099, weight: 0.4 },
  { name: 'Natal', state: 'RN', zipFrom: 59000, zipTo: 59099, weight: 0.4 },
  { name: 'São Luís', state: 'MA', zipFrom: 65000, zipTo: 65099, weight: 0.4 },
  { name: 'Joinville', state: 'SC', zipFrom: 89200, zipTo: 89239, weight: 0.4 },
  { name: 'Campo Grande', state: 'MS', zipFrom: 79000, zipTo: 79129, weight: 0.4 },
  { name: 'João Pessoa', state: 'PB', zipFrom: 58000, zipTo: 58099, weight: 0.4 },
  { name: 'Cuiabá', state: 'MT', zipFrom: 78000, zipTo: 78099, weight: 0.3 },
  { name: 'Teresina', state: 'PI', zipFrom: 64000, zipTo: 64099, weight: 0.3 },
  { name: 'Aracaju', state: 'SE', zipFrom: 49000, zipTo: 49099, weight: 0.3 },
  { name: 'Petrópolis', state: 'RJ', zipFrom: 25600, zipTo: 25799, weight: 0.3 },
];

// Olist's Portuguese category names with their English translation (as in product_category_name_translation.csv)
// and a typical price (BRL) around which that category's product prices spread.
export interface Category {
  name: string;
  english: string;
  medianPrice: number;
  weight: number;
}

export const categories: readonly Category[] = [
  { name: 'cama_mesa_banho', english: 'bed_bath_table', medianPrice: 70, weight: 10 },
  { name: 'beleza_saude', english: 'health_beauty', medianPrice: 80, weight: 9 },
  { name: 'esporte_lazer', english: 'sports_leisure', medianPrice: 80, weight: 8 },
  { name: 'moveis_decoracao', english: 'furniture_decor', medianPrice: 75, weight: 7 },
  { name: 'informatica_acessorios', english: 'computers_accessories', medianPrice: 90, weight: 7 },
  { name: 'utilidades_domesticas', english: 'housewares', medianPrice: 60, weight: 6 },
  { name: 'relogios_presentes', english: 'watches_gifts', medianPrice: 140, weight: 5 },
  { name: 'telefonia', english: 'telephony', medianPrice: 40, weight: 4 },
  { name: 'ferramentas_jardim', english: 'garden_tools', medianPrice: 70, weight: 4 },
  { name: 'automotivo', english: 'auto', medianPrice: 90, weight: 4 },
  { name: 'brinquedos', english: 'toys', medianPrice: 80, weight: 4 },
  { name: 'cool_stuff', english: 'cool_stuff', medianPrice: 120, weight: 3 },
  { name: 'perfumaria', english: 'perfumery', medianPrice: 80, weight: 3 },
  { name: 'bebes', english: 'baby', medianPrice: 90, weight: 3 },
  { name: 'eletronicos', english: 'electronics', medianPrice: 40, weight: 2.5 },
  { name: 'papelaria', english: 'stationery', medianPrice: 50, weight: 2 },
  { name: 'fashion_bolsas_e_acessorios', english: 'fashion_bags_accessories', medianPrice: 45, weight: 2 },
  { name: 'pet_shop', english: 'pet_shop', medianPrice: 60, weight: 2 },
  { name: 'moveis_escritorio', english: 'office_furniture', medianPrice: 160, weight: 1.5 },
  { name: 'consoles_games', english: 'consoles_games', medianPrice: 100, weight: 1 },
  { name: 'eletroportateis', english: 'small_appliances', medianPrice: 120, weight: 1 },
  { name: 'livros_interesse_geral', english: 'books_general_interest', medianPrice: 35, weight: 1 },
];

/** Cumulative weights, for picking an entry with one uniform draw. */
export function cumulative(weights: readonly number[]): Float64Array {
  const total = weights.reduce((sum, w) => sum + w, 0);
  const result = new Float64Array(weights.length);
  let running = 0;
  weights.forEach((w, i) => {
    running += w / total;
    result[i] = running;
  });
  result[weights.length - 1] = 1;
  return result;
}

export function pick(cumulativeWeights: Float64Array, u: number): number {
  let i = 0;
  while (u >= cumulativeWeights[i]) i++;
  return i;
}
